"""Buttons that ask first really ask, under the Content-Security-Policy (script-src 'self').

The questions were inline ``onsubmit`` handlers, which the policy blocks: the browser skipped
them and removed the member at once. They are now ``data-confirm`` attributes read by one
static script: dismissing the question changes nothing; accepting it goes on.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from closerhub.accounts.models import AccountStatus, User
from closerhub.extensions import db
from tests.e2e.test_browser_marketplace import log_in
from tests.integration.test_team import add_member

pytestmark = pytest.mark.browser


def test_removing_a_member_asks_first_and_a_no_keeps_them(page, make_user) -> None:
    owner = make_user("business", email="omar@acme.example", name="Omar", business_name="Acme Coaching")
    mia = add_member(owner, "mia@acme.example", "Mia Member")
    questions: list[str] = []

    def answer(dialog, accept: bool) -> None:
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    log_in(page, "omar@acme.example")
    page.goto(f"/businesses/{owner.business_id}")
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Remove").click()
    page.wait_for_timeout(300)  # a submission, had there been one, would have left by now
    assert questions == ["Remove this member? Their account will be suspended."]
    db.session.commit()  # end the test's read transaction: see what the server committed
    assert db.session.get(User, mia.id).status == AccountStatus.ACTIVE

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    with page.expect_navigation():
        page.get_by_role("button", name="Remove").click()
    assert len(questions) == 2, page.content()
    db.session.commit()  # end the test's read transaction: see what the server committed
    assert db.session.scalar(select(User.status).where(User.id == mia.id)) == AccountStatus.SUSPENDED, page.url
