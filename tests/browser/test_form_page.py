"""A form's page as a person uses it (README "Waiting for a form"): opened in a browser at
create-form's `url`, filled and sent, it resumes the waiting execution with the answer typed
by the form's schema; the browser refuses to send it without a required field, and the page
of an answered form says it is closed."""

from __future__ import annotations

from playwright.sync_api import Browser

from tests.api.test_executions_api import node_of
from tests.api.test_forms import expenses, until_waiting
from tests.support.serving import Organization


def opened_form(org: Organization) -> tuple[str, str]:
    """A started expense execution waiting for its form: its id and the form's url."""
    org.deploy(expenses())
    execution_id = org.start("expenses")
    until_waiting(org, execution_id)
    url: str = node_of(org.record(execution_id), "form")["outputs"]["url"]
    return execution_id, url


def test_a_form_filled_and_sent_in_a_browser_resumes_its_execution(
    browser: Browser, org_a: Organization
) -> None:
    execution_id, url = opened_form(org_a)
    page = browser.new_page()

    page.goto(url)
    title, heading = page.title(), page.locator("h1").inner_text()
    page.fill("#field-amount", "12.5")
    page.fill("#field-comment", "<b>fine</b> & done")
    page.check("#field-approved")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    answered = page.locator("body").inner_text()
    page.goto(url)
    again = page.locator("body").inner_text()
    page.close()

    assert (title, heading) == ("Expense <report>", "Expense <report>")  # escaped, shown as text
    assert "thank" in answered.lower(), answered
    assert "closed" in again.lower() or "answered" in again.lower(), again
    record = org_a.wait_for(execution_id)
    assert record["status"] == "completed"
    assert node_of(record, "review")["outputs"] == {
        "response": {"amount": 12.5, "comment": "<b>fine</b> & done", "approved": True}
    }


def test_the_browser_sends_no_form_without_its_required_fields(
    browser: Browser, org_a: Organization
) -> None:
    execution_id, url = opened_form(org_a)
    page = browser.new_page()

    page.goto(url)
    page.fill("#field-comment", "no amount")
    page.click("button[type=submit]")
    invalid = page.eval_on_selector("#field-amount", "input => !input.checkValidity()")
    still_here = page.url
    page.fill("#field-amount", "3")  # then sent without ticking `approved`: false
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.close()

    assert invalid
    assert still_here == url
    record = org_a.wait_for(execution_id)
    assert node_of(record, "review")["outputs"] == {
        "response": {"amount": 3, "comment": "no amount", "approved": False}
    }
