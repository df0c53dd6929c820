"""The web UI in a real browser (issue 17): Debian's chromium, driven by Playwright, on `kite serve`'s
server. Each test does what a user does — deploy a flow from the editor, start it from the typed form with
a file, watch its topology, read its logs and outputs, resume a paused execution with inputs, kill a running
one, restart a failed one — and the page must say nothing on the console. The screenshots linked from the
README are written here."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.api import auth
from infra.embedded.local import LocalKite
from infra.embedded.server import LocalServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parents[3] / "docs" / "screenshots"

if not Path(CHROMIUM).exists():
    if os.environ.get("KITE_REQUIRE_BROWSER"):
        raise RuntimeError(f"the browser tests need Debian's chromium at {CHROMIUM} (.ci/run installs it)")
    pytest.skip("no chromium here: .ci/run installs it (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

ORDERS = """id: orders
namespace: company.team
inputs:
  - id: customer
    type: STRING
  - id: orders
    type: FILE
tasks:
  - id: count
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.orders) | trim | split('\\n') | length }} orders for {{ inputs.customer }}"
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.count.value }}"
outputs:
  - id: summary
    type: STRING
    value: "{{ outputs.count.value }}"
"""

GATE = """id: gate
namespace: company.team
tasks:
  - id: approve
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: reason
        type: STRING
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: "approved: {{ outputs.approve.onResume.reason }}"
"""

SLOW = """id: slow
namespace: company.team
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT1H
"""

FLAKY = """id: flaky
namespace: company.team
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ kv('fixed', errorOnMissing=false) != true }}"
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: fixed
"""

DEPLOY = """id: deploy
namespace: company.team
inputs:
  - id: env
    type: SELECT
    values: [dev, prod]
    defaults: dev
  - id: approver
    type: STRING
    dependsOn:
      inputs: [env]
      condition: "{{ inputs.env == 'prod' }}"
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "{{ inputs.env }} {{ inputs.approver ?? 'nobody' }}"
"""

NIGHTLY = """id: nightly
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: night
triggers:
  - id: every_night
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 2 * * *"
"""


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[LocalKite, str]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(auth.OPEN_ENV, "true")  # as `kite serve` on loopback
        with LocalKite(fast_forward=False) as kite, LocalServer(kite, "127.0.0.1", 0) as served:
            for flow in (GATE, SLOW, FLAKY, DEPLOY, NIGHTLY):
                kite.deploy(flow)
            yield kite, served.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    problems: list[str] = []

    def heard(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            problems.append(f"{message.type}: {message.text}")

    opened.on("console", heard)
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    yield opened
    context.close()
    assert problems == []


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_deploy_from_the_editor_run_with_a_file_and_watch_it_succeed(
    server: tuple[LocalKite, str], page: Page, tmp_path: Path
) -> None:
    _, url = server
    page.goto(url + "/")
    expect(page).to_have_url(url + "/ui/")
    page.get_by_role("link", name="Flows").click()
    page.get_by_role("link", name="New flow").click()
    editor = page.get_by_label("Flow YAML")
    editor.fill(ORDERS.replace("type: FILE", "type: FOLDER"))
    expect(page.locator(".problems li").first).to_contain_text("Line 7")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    editor.fill(ORDERS)
    expect(page.locator(".problems li")).to_have_count(0)
    _shot(page, "flow-editor")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("company.team.orders")

    page.get_by_role("tab", name="Run").click()
    page.get_by_label("customer").fill("Ada")
    orders = tmp_path / "orders.csv"
    orders.write_text("1,42\n2,7\n3,12\n")
    page.get_by_label("orders").set_input_files(str(orders))
    page.get_by_role("button", name="Run").click()

    expect(page.locator("#execution-state")).to_have_text("SUCCESS", timeout=30_000)
    page.get_by_role("tab", name="Topology").click()
    expect(page.locator("g.task[data-task=count]")).to_have_attribute("data-state", "SUCCESS")
    expect(page.locator("g.task[data-task=report]")).to_have_attribute("data-state", "SUCCESS")
    _shot(page, "execution-topology")
    page.get_by_role("tab", name="Gantt").click()
    expect(page.locator(".gantt .bar")).to_have_count(2)
    expect(page.get_by_role("button", name="Show more (0 left)")).to_be_hidden()  # all rows fit one page
    _shot(page, "execution-gantt")
    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_role("log")).to_contain_text("3 orders for Ada")
    _shot(page, "execution-logs")
    page.get_by_role("tab", name="Overview").click()
    expect(page.locator("dl.tree").nth(1)).to_contain_text("3 orders for Ada")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".file pre")).to_contain_text("2,7")

    page.get_by_role("link", name="Flows").click()  # each flow's last execution, in one request
    expect(
        page.get_by_role("table", name="Flows").get_by_role("row").filter(has_text="orders")
    ).to_contain_text("SUCCESS")
    page.get_by_role("link", name="Executions").click()
    expect(page.get_by_role("table", name="Executions")).to_contain_text("orders")
    _shot(page, "executions")
    page.get_by_role("button", name="Switch light or dark mode").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    _shot(page, "executions-dark")


def test_resume_a_paused_execution_with_its_on_resume_inputs(
    server: tuple[LocalKite, str], page: Page
) -> None:
    kite, url = server
    started = kite.services.executions.create("company.team", "gate", {})
    page.goto(f"{url}/ui/#/executions/{started.id}")
    expect(page.locator("#execution-state")).to_have_text("PAUSED", timeout=20_000)
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("reason").fill("looks good")
    dialog.get_by_role("button", name="Resume").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS", timeout=20_000)
    page.get_by_role("tab", name="Outputs").click()
    expect(page.locator("tr[data-task=after]")).to_contain_text("approved: looks good")


def test_kill_a_running_execution(server: tuple[LocalKite, str], page: Page) -> None:
    kite, url = server
    started = kite.services.executions.create("company.team", "slow", {})
    page.goto(f"{url}/ui/#/executions/{started.id}")
    expect(page.locator("#execution-state")).to_have_text("RUNNING", timeout=20_000)
    page.get_by_role("button", name="Kill").click()
    expect(page.locator("#execution-state")).to_have_text("KILLED", timeout=20_000)


def test_restart_a_failed_execution(server: tuple[LocalKite, str], page: Page) -> None:
    kite, url = server
    started = kite.services.executions.create("company.team", "flaky", {})
    page.goto(f"{url}/ui/#/executions/{started.id}")
    expect(page.locator("#execution-state")).to_have_text("FAILED", timeout=20_000)
    page.goto(f"{url}/ui/#/namespaces/company.team")
    page.get_by_label("Key").fill("fixed")
    page.get_by_label("Value").fill("true")
    page.get_by_role("button", name="Set").click()
    expect(page.get_by_role("table", name="KV entries")).to_contain_text("fixed")
    page.goto(f"{url}/ui/#/executions/{started.id}")
    page.get_by_role("button", name="Restart").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS", timeout=20_000)


def test_the_run_form_shows_an_input_while_its_depends_on_condition_holds(
    server: tuple[LocalKite, str], page: Page
) -> None:
    _, url = server
    page.goto(f"{url}/ui/#/flows/company.team/deploy?tab=Run")
    approver = page.get_by_label("approver")
    expect(approver).to_be_hidden()
    page.get_by_label("env").select_option("prod")
    expect(approver).to_be_visible()
    approver.fill("Grace")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#execution-state")).to_have_text("SUCCESS", timeout=20_000)
    page.get_by_role("tab", name="Outputs").click()
    expect(page.locator("tr[data-task=say]")).to_contain_text("prod Grace")


def test_triggers_show_their_next_date_and_are_disabled_from_the_keyboard(
    server: tuple[LocalKite, str], page: Page
) -> None:
    _, url = server
    page.goto(f"{url}/ui/#/triggers")
    row = page.get_by_role("row").filter(has_text="every_night")
    expect(row).to_contain_text("enabled")
    expect(row.get_by_role("cell").nth(3)).not_to_have_text("—")  # the next date
    row.get_by_role("button", name="Disable").focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("disabled")
    row.get_by_role("button", name="Enable").click()
    expect(row).to_contain_text("enabled")
