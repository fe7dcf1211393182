"""What the web app's overview and a document's history read: money per currency, revenue by month, and who did what."""
