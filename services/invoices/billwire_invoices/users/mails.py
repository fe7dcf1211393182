"""The e-mails a person gets from the users wing, in their language: an invitation to an account
and a password-reset link. Plain text; the link is the only thing to click."""

from __future__ import annotations

ROLE_NAMES = {
    "en": {"owner": "owner", "member": "member", "accountant": "accountant"},
    "de": {"owner": "Inhaber", "member": "Mitglied", "accountant": "Buchhaltung"},
}


def invitation(language: str, company: str, inviter: str | None, role: str, link: str, hours: int) -> tuple[str, str]:
    """(subject, body) of an invitation to join `company` with `role`."""
    who = inviter or company
    if language == "de":
        role_name = ROLE_NAMES["de"].get(role, role)
        return (
            f"Einladung zu {company} in Billwire",
            f"Hallo,\n\n{who} lädt Sie ein, bei {company} in Billwire als {role_name} mitzuarbeiten.\n\n"
            f"Öffnen Sie diesen Link, wählen Sie Ihren Namen und Ihr Passwort:\n{link}\n\n"
            f"Der Link gilt {hours} Stunden und nur einmal. Wenn Sie diese Einladung nicht erwartet haben, "
            "können Sie diese E-Mail ignorieren.\n",
        )
    role_name = ROLE_NAMES["en"].get(role, role)
    return (
        f"You are invited to {company} on Billwire",
        f"Hello,\n\n{who} invites you to work on {company} in Billwire as {role_name}.\n\n"
        f"Open this link and choose your name and password:\n{link}\n\n"
        f"The link works once, for {hours} hours. If you did not expect this invitation, you can ignore this e-mail.\n",
    )


def password_reset(language: str, link: str, minutes: int) -> tuple[str, str]:
    """(subject, body) of a password-reset link."""
    if language == "de":
        return (
            "Ihr Billwire-Passwort zurücksetzen",
            f"Hallo,\n\nmit diesem Link wählen Sie ein neues Passwort für Billwire:\n{link}\n\n"
            f"Der Link gilt {minutes} Minuten und nur einmal. Danach sind alle Ihre Sitzungen abgemeldet. "
            "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.\n",
        )
    return (
        "Reset your Billwire password",
        f"Hello,\n\nuse this link to choose a new password for Billwire:\n{link}\n\n"
        f"The link works once, for {minutes} minutes; afterwards every session of yours is signed out. "
        "If you did not ask for this, ignore this e-mail: your password stays as it is.\n",
    )
