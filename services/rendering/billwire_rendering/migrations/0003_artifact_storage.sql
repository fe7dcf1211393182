-- PDFs are compressed already: store them out of line without another compression pass.
ALTER TABLE artifacts ALTER COLUMN data SET STORAGE EXTERNAL;
