"""One-time links, the pure parts: a token is stored only as its hash, why a link cannot be
used (used beats withdrawn beats expired), and the e-mails in both languages carry the link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billwire_invoices.users import mails, rules

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_a_token_is_long_random_and_stored_as_its_sha256() -> None:
    token, stored = rules.new_link_token()
    other, _ = rules.new_link_token()
    assert len(token) >= 40 and token != other
    assert stored == rules.token_hash(token) and len(stored) == 64 and token not in stored


def test_why_a_link_cannot_be_used() -> None:
    later, earlier = NOW + timedelta(minutes=1), NOW - timedelta(minutes=1)
    assert rules.link_problem(later, None, None, NOW) is None
    assert rules.link_problem(NOW, None, None, NOW) == "expired"  # the last instant is already past
    assert rules.link_problem(earlier, None, None, NOW) == "expired"
    assert rules.link_problem(later, None, earlier, NOW) == "revoked"
    assert rules.link_problem(earlier, earlier, earlier, NOW) == "used"


def test_the_emails_carry_the_link_and_its_lifetime_in_both_languages() -> None:
    link = "https://billing.example.com/login/invite/abc"
    subject, body = mails.invitation("en", "Acme GmbH", "Ada", "accountant", link, 72)
    assert subject == "You are invited to Acme GmbH on Billwire" and link in body and "72 hours" in body and "accountant" in body
    subject, body = mails.invitation("de", "Acme GmbH", None, "accountant", link, 72)
    assert subject == "Einladung zu Acme GmbH in Billwire" and link in body and "72 Stunden" in body and "Buchhaltung" in body
    subject, body = mails.password_reset("de", link, 60)
    assert "zurücksetzen" in subject and link in body and "60 Minuten" in body
    subject, body = mails.password_reset("en", link, 60)
    assert subject == "Reset your Billwire password" and "60 minutes" in body


def test_the_decoy_hash_costs_what_a_real_one_costs_and_matches_nothing() -> None:
    """An unknown e-mail is checked against the decoy: made with the hasher's current parameters
    (a library upgrade that changes them fails here), so a miss takes as long as a wrong password."""
    assert not rules._hasher.check_needs_rehash(rules.DECOY_HASH)
    assert rules.DECOY_HASH.split("$")[3] == rules.hash_password("x").split("$")[3]  # m=, t=, p=
    assert rules.password_matches(None, "") is False and rules.password_matches(None, "password") is False
    stored = rules.hash_password("correct horse battery")
    assert rules.password_matches(stored, "correct horse battery") and not rules.password_matches(stored, "wrong")
