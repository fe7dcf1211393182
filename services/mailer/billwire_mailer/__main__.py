"""`python -m billwire_mailer`: run one replica until SIGINT or SIGTERM."""

from billwire_mailer.app import create_service
from billwire_mailer.settings import MailerSettings
from billwire_shared.service import main

if __name__ == "__main__":
    main(create_service, MailerSettings)
