#!/usr/bin/python3
"""Checks on Reel's monitoring files, run by scripts/test-monitoring.sh.

  check_monitoring.py static MONITORING_DIR DOCS_FILE
      Every alert has `for`, a severity, summary, description and a runbook
      link whose anchor is a heading of DOCS_FILE, and is fired and not fired
      by the promtool tests; the dashboard is well-formed (datasource
      variable, every panel on it, unique ids, an expression per target).
  check_monitoring.py scrape MONITORING_DIR SCRAPE_FILE...
      Every metric name the rules and the dashboard use is in the scrapes
      (a real /metrics each), or is `up`, or a recording rule's name.
  check_monitoring.py prometheus MONITORING_DIR URL VERSION
      Through Prometheus's HTTP API: both targets up, the key series there,
      the recording rules producing series, every rule healthy and no alert
      active, and every dashboard expression answering with data.
  check_monitoring.py alert URL ALERTNAME TIMEOUT_SECONDS
      Waits (polling) until ALERTNAME is pending or firing.
"""

import json
import pathlib
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

RULE_FILES = ("rules/reel-recording.yml", "rules/reel-alerts.yml")
DASHBOARD = "grafana/reel-dashboard.json"
SEVERITIES = {"critical", "warning", "info"}
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
    "group_right", "bool", "offset", "inf", "nan", "atan2",
}

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}", file=sys.stderr)


def finish(what):
    if failures:
        print(f"{what}: {len(failures)} failure(s)", file=sys.stderr)
        sys.exit(1)
    print(f"{what}: ok")


def load_rules(root):
    rules = []
    for name in RULE_FILES:
        for group in yaml.safe_load((root / name).read_text())["groups"]:
            for rule in group["rules"]:
                rules.append(rule)
    return rules


def dashboard_panels(dashboard):
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def dashboard_exprs(dashboard):
    for panel in dashboard_panels(dashboard):
        for target in panel.get("targets", []):
            yield panel["title"], target.get("expr", "")


def metric_names(expr):
    """The metric names a PromQL expression selects (approximately: enough
    for the expressions here)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ",
        text)
    names = set()
    for match in re.finditer(
            r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?",
            text):
        name, call = match.group(2), match.group(3)
        if name and not call and name.lower() not in KEYWORDS:
            names.add(name)
    return names


def check_static(root, docs):
    rules = load_rules(root)
    alerts = [rule for rule in rules if "alert" in rule]
    anchors = set()
    for line in docs.read_text().splitlines():
        heading = re.match(r"#+\s+(.*)", line)
        if heading:
            anchor = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower())
            anchors.add(anchor.replace(" ", "-"))
    fired, quiet = set(), set()
    for test_file in sorted((root / "tests").glob("*.test.yml")):
        for test in yaml.safe_load(test_file.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(
                    case["alertname"])
    seen = set()
    for alert in alerts:
        name = alert["alert"]
        if name in seen:
            fail(f"alert {name} is defined twice")
        seen.add(name)
        if not alert.get("for"):
            fail(f"alert {name} has no `for`")
        if alert.get("labels", {}).get("severity") not in SEVERITIES:
            fail(f"alert {name}: severity must be one of {sorted(SEVERITIES)}")
        notes = alert.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            if not notes.get(key):
                fail(f"alert {name} has no {key} annotation")
        runbook = notes.get("runbook_url", "")
        path, _, anchor = runbook.partition("#")
        if path != f"docs/{docs.name}" or anchor not in anchors:
            fail(f"alert {name}: runbook_url {runbook!r} is not a heading of "
                 f"docs/{docs.name}")
        if name not in fired:
            fail(f"alert {name}: no promtool test fires it")
        if name not in quiet:
            fail(f"alert {name}: no promtool test checks it stays quiet")
    for name in (fired | quiet) - seen:
        fail(f"the promtool tests name an alert that does not exist: {name}")

    dashboard = json.loads((root / DASHBOARD).read_text())
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    source = variables.get("datasource", {})
    if source.get("type") != "datasource" or source.get("query") != "prometheus":
        fail("dashboard: no `datasource` variable of Prometheus data sources")
    ids = set()
    targets = 0
    for panel in dashboard_panels(dashboard):
        title = panel.get("title", "?")
        if panel["id"] in ids:
            fail(f"dashboard: panel id {panel['id']} is used twice")
        ids.add(panel["id"])
        if panel["type"] == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            fail(f"dashboard panel {title!r}: datasource is not ${{datasource}}")
        if not panel.get("targets"):
            fail(f"dashboard panel {title!r} has no query")
        for target in panel.get("targets", []):
            targets += 1
            if not target.get("expr", "").strip():
                fail(f"dashboard panel {title!r}: a target without expr")
            if target.get("datasource", {}).get("uid") != "${datasource}":
                fail(f"dashboard panel {title!r}: a target's datasource is "
                     "not ${datasource}")
    print(f"{len(alerts)} alerts, {len(rules) - len(alerts)} recording rules, "
          f"{len(ids)} dashboard panels with {targets} queries")
    finish("static checks")


def scraped_names(paths):
    names = set()
    for path in paths:
        for line in pathlib.Path(path).read_text().splitlines():
            if line and not line.startswith("#"):
                names.add(re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0))
    return names


def check_scrape(root, scrapes):
    exported = scraped_names(scrapes)
    rules = load_rules(root)
    recorded = {rule["record"] for rule in rules if "record" in rule}
    known = exported | recorded | {"up"}
    uses = []
    for rule in rules:
        uses.append((rule.get("alert") or rule.get("record"), rule["expr"]))
    dashboard = json.loads((root / DASHBOARD).read_text())
    for title, expr in dashboard_exprs(dashboard):
        uses.append((f"dashboard panel {title!r}", expr))
    checked = set()
    for where, expr in uses:
        for name in sorted(metric_names(expr)):
            checked.add(name)
            if name not in known:
                fail(f"{where}: {name} is not in the services' /metrics")
    print(f"{len(checked)} metric names used by the rules and the dashboard; "
          f"{len(exported)} exported by the two services")
    finish("metric names")


class Prometheus:

    def __init__(self, url):
        self.url = url.rstrip("/")

    def get(self, path, **params):
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(f"{self.url}{path}?{query}",
                                    timeout=10) as response:
            body = json.load(response)
        if body.get("status") != "success":
            raise RuntimeError(f"{path} {params}: {body}")
        return body["data"]

    def query(self, expr):
        return self.get("/api/v1/query", query=expr)["result"]


def check_prometheus(root, url, version):
    prometheus = Prometheus(url)

    def expect(expr, what, test=lambda samples: len(samples) > 0):
        try:
            samples = prometheus.query(expr)
        except Exception as error:  # The API's own error, reported as such.
            fail(f"{what}: {expr}: {error}")
            return
        if not test(samples):
            fail(f"{what}: {expr} returned {json.dumps(samples)}")

    def value(samples):
        return float(samples[0]["value"][1]) if samples else float("nan")

    for job in ("reel-catalog", "reel-search"):
        expect(f'up{{job="{job}"}} == 1', f"{job} is up")
    for job, service in (("reel-catalog", "catalog"), ("reel-search", "search")):
        expect(f'reel_build_info{{job="{job}", service="{service}", '
               f'version="{version}", commit!=""}} == 1',
               f"{job} reel_build_info names version {version}")
        expect(f'process_resident_memory_bytes{{job="{job}"}} > 0',
               f"{job} process_resident_memory_bytes")
        for name in ("process_cpu_seconds_total", "process_virtual_memory_bytes",
                     "process_open_fds", "process_max_fds",
                     "process_start_time_seconds"):
            expect(f'{name}{{job="{job}"}}', f"{job} {name}")
    expect('grpc_server_handled_total{job="reel-catalog", '
           'grpc_method="ImportFilms", grpc_code="OK"} >= 1',
           "the catalog counted the import")
    expect('grpc_server_handled_total{job="reel-catalog", '
           'grpc_method="GetFilm", grpc_code="NOT_FOUND"} >= 1',
           "the catalog counted the failed GetFilm")
    expect('grpc_server_handled_total{job="reel-search", '
           'grpc_method="SearchScenes", grpc_code="OK"} >= 1',
           "search counted the searches")
    expect('grpc_server_handling_seconds_bucket{job="reel-search", '
           'grpc_method="SearchScenes", le="+Inf"} >= 1',
           "search's latency histogram")
    expect('reel_catalog_revision{job="reel-catalog"} >= 1',
           "the catalog's revision")
    expect('reel_search_applied_revision{job="reel-search"} >= 1',
           "search's applied revision")
    expect('reel_search_watch_lag_revisions{job="reel-search"} == 0',
           "search's watch lag")
    expect('reel_catalog_watch_streams_active{job="reel-catalog"} >= 1',
           "search's watch stream on the catalog")

    # The recording rules, over the traffic the test made.
    expect('job_method:grpc_server_handled:rate5m{job="reel-search", '
           'grpc_method="SearchScenes"} > 0', "recorded request rate")
    expect('job:grpc_server_handled:rate5m{job="reel-catalog"} > 0',
           "recorded request rate per job")
    expect('job_method:grpc_server_error_ratio:rate5m{grpc_method="GetFilm"} == 0',
           "recorded error ratio (NOT_FOUND is not a server error)")
    expect('job_method:grpc_server_errors:rate5m{grpc_method="SearchScenes"} == 0',
           "recorded server errors")
    for quantile in ("p50", "p90", "p99"):
        expect(f'job_method:grpc_server_handling_seconds:{quantile}_5m'
               f'{{grpc_method="SearchScenes"}} >= 0',
               f"recorded {quantile} latency")
    expect('instance:reel_search_revision_gap:revisions == 0',
           "recorded revision gap")

    rules = load_rules(root)
    loaded = 0
    for group in prometheus.get("/api/v1/rules")["groups"]:
        for rule in group["rules"]:
            loaded += 1
            if rule.get("health") != "ok":
                fail(f"rule {rule['name']} is {rule.get('health')}: "
                     f"{rule.get('lastError')}")
    if loaded != len(rules):
        fail(f"Prometheus loaded {loaded} rules, the files have {len(rules)}")
    for alert in prometheus.get("/api/v1/alerts")["alerts"]:
        fail(f"alert {alert['labels'].get('alertname')} is {alert['state']} "
             f"with both services healthy: {alert['labels']}")

    dashboard = json.loads((root / DASHBOARD).read_text())
    count = 0
    for title, expr in dashboard_exprs(dashboard):
        count += 1
        expect(expr.replace("$__rate_interval", "1m"),
               f"dashboard panel {title!r}")
    print(f"{count} dashboard queries answered with data; {loaded} rules "
          "healthy")
    finish("Prometheus checks")


def wait_alert(url, name, timeout):
    prometheus = Prometheus(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for alert in prometheus.get("/api/v1/alerts")["alerts"]:
            if alert["labels"].get("alertname") == name:
                print(f"alert {name}: {alert['state']}")
                return
        time.sleep(0.5)
    fail(f"alert {name} did not become pending within {timeout} s")
    finish("alert")


def main(argv):
    if len(argv) >= 4 and argv[1] == "static":
        check_static(pathlib.Path(argv[2]), pathlib.Path(argv[3]))
    elif len(argv) >= 4 and argv[1] == "scrape":
        check_scrape(pathlib.Path(argv[2]), argv[3:])
    elif len(argv) == 5 and argv[1] == "prometheus":
        check_prometheus(pathlib.Path(argv[2]), argv[3], argv[4])
    elif len(argv) == 5 and argv[1] == "alert":
        wait_alert(argv[2], argv[3], float(argv[4]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
