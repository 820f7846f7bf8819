"""Issue 11, "Bad input and permissions": every URL of the assessment admin, user by user.

The URL names are read from the resolver (the `assessment`, `assessment_scoring`,
`assessment_schemes` and `assessment_exports` namespaces): a URL the sweep has no case for fails
`test_every_assessment_url_has_a_sweep_case`. For each URL, a department admin of A gets 404 for
B's department, score, item, appeal or export job (no 403 that tells the id exists, nothing of B
in the body, nothing changed); on their own department they read what is theirs (department
page, score sheet, evidence, appeals, audit, their exports, filing an appeal) and are refused the
bureau's actions with nothing changed; the overview sends them to their own page. Learners and
anonymous visitors reach nothing; bureau staff reach everything. Huge, negative, non-numeric ids
and unknown years answer 404, and every POST without a CSRF token answers 403 and changes
nothing ("nothing changed" is checked on the rows: scores, appeals, audit entries, schemes,
results and export jobs).

The data set (`plan_world` with a computed default scheme, manual points with evidence files,
an appeal of each department and a finished export job of each user) is built once for the module
inside a transaction that is rolled back at the end; each request runs in its own savepoint,
rolled back after it, so an action that succeeds cannot change what the next request sees.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from openpyxl import Workbook, load_workbook

from assessments import services
from assessments.models import (
    Appeal,
    AssessmentScheme,
    AuditEntry,
    DepartmentResult,
    ExportJob,
    ExportStatus,
    GradeBand,
    ItemKind,
    ItemScore,
    SchemeItem,
)
from departments import roles
from tests.assessments.conftest import plan_world
from tests.courses.membership_helpers import bureau_staff, department_admin, user_in_role

pytestmark = pytest.mark.django_db

YEAR = 2026
NAMESPACES = ("assessment", "assessment_scoring", "assessment_schemes", "assessment_exports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Text that only department B's data contains: none of it may reach department A's admin.
FOREIGN_NAMES = ("外部人员甲", "外部人员乙", "外部人员丙")
FOREIGN_MARKERS = ("甲区", *FOREIGN_NAMES, "FOREIGN-APPEAL", "FOREIGN-EVIDENCE", "foreign-proof",
                   "FOREIGN-JOB")

HUGE = 2**63  # one past PostgreSQL's bigint
# Path segments no `<int:…>` converter accepts: the resolver answers 404 before any view.
MALFORMED = ("-1", "abc", "１", "1.0", "0x1", "%20", "1e3")
SENTINEL = 7_654_321  # a number to find and replace in a reversed URL

# What a department admin gets on their own department.
OK = "ok"              # 200 (a page or a file), or a POST's redirect back with the outcome
REFUSED = "refused"    # Wagtail's permission-denied answer (to the admin home) or 403/404
OWN_PAGE = "own_page"  # a redirect to their own department's page (`Target.admin_to`)


# --- The data set ----------------------------------------------------------------------------


@dataclass
class Sweep:
    """What the requests are made on (A is the department admin's, B is foreign)."""

    a: object
    b: object
    scheme: AssessmentScheme
    bureau: object
    admin_a: object
    admin_b: object
    admin_none: object  # in the department admins' group, listed on no department
    learner: object
    auto_item: SchemeItem
    appeal_item: SchemeItem
    manual_item: SchemeItem
    auto_score: dict
    manual_score: dict
    appeal: dict
    job: dict


def _xlsx(text: str) -> bytes:
    book = Workbook()
    book.active["A1"] = text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _job(user, department, tag: str) -> ExportJob:
    job = ExportJob.objects.create(
        kind="department", requested_by=user, status=ExportStatus.DONE, progress=100,
        params={"year": YEAR, "department_ids": [department.pk] if department else None,
                "language": "zh-hans", "filename": f"{tag}.xlsx"})
    job.file.save(f"{tag}.xlsx", ContentFile(_xlsx(tag)))
    return job


def sweep_build() -> Sweep:
    world = plan_world()
    a, b = world.departments["A"], world.departments["B"]
    for key, name in zip(("b_head", "b_fin", "b_bus"), FOREIGN_NAMES, strict=True):
        user = world.learners[key].user
        user.first_name = name
        user.save(update_fields=["first_name"])
    scheme = services.scheme_default_create(year=YEAR, plan=world.plan)
    services.scores_compute(scheme=scheme)
    bureau = bureau_staff("sweep_bureau")
    admin_a = department_admin(a, "sweep_admin_a")
    admin_b = department_admin(b, "sweep_admin_b")
    admin_none = user_in_role(roles.DEPARTMENT_ADMIN, "sweep_admin_none")
    items = {item.code: item for item in scheme.items.all()}
    manual_item = scheme.items.filter(kind=ItemKind.MANUAL, max_points__gt=0).order_by(
        "sort_order", "pk").first()
    assert manual_item is not None, "the default scheme has no manual item"
    manual_score = {}
    for side, department, tag in (("own", a, "OWN-EVIDENCE"), ("foreign", b, "FOREIGN-EVIDENCE")):
        proof = "own-proof.pdf" if side == "own" else "foreign-proof.pdf"
        manual_score[side] = services.score_manual_set(
            scheme=scheme, department=department, item=manual_item,
            points=manual_item.max_points, evidence=tag,
            evidence_file=SimpleUploadedFile(proof, b"%PDF-1.4\n" + tag.encode()), user=bureau)
    heads = items["training-heads"]
    appeal = {
        "own": services.appeal_file(scheme=scheme, department=a, item=heads,
                                    reason="本部门的申诉理由", user=admin_a),
        "foreign": services.appeal_file(scheme=scheme, department=b, item=heads,
                                        reason="FOREIGN-APPEAL 甲区的申诉理由", user=admin_b),
    }
    auto_item = items["training-completion"]
    auto_score = {side: ItemScore.objects.get(scheme=scheme, department=department,
                                              item=auto_item)
                  for side, department in (("own", a), ("foreign", b))}
    job = {"own": _job(admin_a, a, "OWN-JOB"), "foreign": _job(admin_b, b, "FOREIGN-JOB"),
           "bureau": _job(bureau, None, "BUREAU-JOB")}
    scheme.refresh_from_db()
    return Sweep(a=a, b=b, scheme=scheme, bureau=bureau, admin_a=admin_a, admin_b=admin_b,
                 admin_none=admin_none, learner=world.learners["a_bus1"].user, auto_item=auto_item,
                 appeal_item=items["training-goal-setting"], manual_item=manual_item,
                 auto_score=auto_score, manual_score=manual_score, appeal=appeal, job=job)


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker):
    """The data set, built once and rolled back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield sweep_build()
        transaction.set_rollback(True)


def snapshot() -> tuple:
    """Every row an action could change."""
    return (
        AuditEntry.objects.count(),
        list(ItemScore.objects.order_by("pk").values_list(
            "pk", "points", "source", "reason", "evidence", "evidence_file")),
        list(Appeal.objects.order_by("pk").values_list("pk", "status", "reply", "new_points")),
        list(AssessmentScheme.objects.order_by("pk").values_list(
            "pk", "year", "title", "locked_at", "computed_at", "low_business_coverage")),
        list(SchemeItem.objects.order_by("pk").values_list(
            "pk", "name", "max_points", "lower", "upper")),
        list(GradeBand.objects.order_by("pk").values_list("pk", "name", "min_points")),
        list(DepartmentResult.objects.order_by("pk").values_list("pk", "total", "rank")),
        list(ExportJob.objects.order_by("pk").values_list("pk", "status")),
    )


# --- The cases: every URL, what it is asked with -------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One request shape of a URL: its kwargs on A (the admin's own), on B (foreign, if the
    URL names a department's object) and for the bureau, and what A's admin gets."""

    name: str
    method: str = "get"
    own: dict = field(default_factory=dict)
    foreign: dict | None = None
    query: str = ""
    foreign_query: str | None = None  # the own kwargs with a query naming department B
    bureau: dict | None = None        # the bureau's kwargs where theirs differ (export jobs)
    data: dict = field(default_factory=dict)
    admin: str = OK
    admin_to: str | None = None       # where OWN_PAGE redirects
    bureau_redirect: bool = False     # the bureau's GET is a redirect too (index pages)
    changes: bool = False             # the admin's OK POST writes a row (filing an appeal)

    def url(self, kwargs: dict, query: str | None = None) -> str:
        query = self.query if query is None else query
        return reverse(self.name, kwargs=kwargs) + query

    @property
    def own_url(self) -> str:
        return self.url(self.own)

    @property
    def bureau_url(self) -> str:
        return self.url(self.bureau if self.bureau is not None else self.own)

    def foreign_urls(self) -> list[str]:
        urls = []
        if self.foreign is not None:
            urls.append(self.url(self.foreign))
        if self.foreign_query is not None:
            urls.append(self.url(self.own, self.foreign_query))
        return urls


def targets(s: Sweep) -> dict[str, list[Target]]:
    """Each URL name of the four namespaces with the requests the sweep makes on it."""
    year = {"year": YEAR}
    own_department = {"year": YEAR, "department_id": s.a.pk}
    foreign_department = {"year": YEAR, "department_id": s.b.pk}
    own_department_page = reverse("assessment:department", kwargs=own_department)
    own_sheet = reverse("assessment_scoring:sheet", kwargs=own_department)
    scheme_pk = {"pk": s.scheme.pk}

    def score(kind: str, side: str) -> dict:
        return {"year": YEAR, "score_id": getattr(s, f"{kind}_score")[side].pk}

    def department_item(item, side: str) -> dict:
        department = s.a if side == "own" else s.b
        return {"year": YEAR, "department_id": department.pk, "item_id": item.pk}

    def job(side: str) -> dict:
        return {"job_id": s.job[side].pk}

    def export(kind: str, method: str, admin: str = OK, **fields) -> Target:
        return Target("assessment_exports:export", method, {"year": YEAR, "kind": kind},
                      admin=admin, **fields)

    scoring, schemes = "assessment_scoring:", "assessment_schemes:"
    reason = {"reason": "理由"}
    return {
        "assessment:overview": [
            Target("assessment:overview", admin=OWN_PAGE, admin_to=own_department_page),
            Target("assessment:overview", query=f"?year={YEAR}", admin=OWN_PAGE,
                   admin_to=own_department_page)],
        "assessment:department": [
            Target("assessment:department", own=own_department, foreign=foreign_department)],
        "assessment:report_json": [
            Target("assessment:report_json", own=year, foreign_query=f"?department={s.b.code}"),
            Target("assessment:report_json", own=year, query=f"?department={s.a.code}")],
        scoring + "index": [
            Target(scoring + "index", admin=OWN_PAGE, admin_to=own_sheet, bureau_redirect=True)],
        scoring + "results": [Target(scoring + "results", own=year)],
        scoring + "sheet": [
            Target(scoring + "sheet", own=own_department, foreign=foreign_department)],
        scoring + "appeals": [
            Target(scoring + "appeals", own=year),
            Target(scoring + "appeals", own=year, query="?status=pending")],
        scoring + "audit": [
            Target(scoring + "audit", own=year, foreign_query=f"?department={s.b.pk}"),
            Target(scoring + "audit", own=year, query=f"?department={s.a.pk}")],
        scoring + "compute": [Target(scoring + "compute", "post", year, admin=REFUSED)],
        scoring + "lock": [Target(scoring + "lock", "post", year, admin=REFUSED)],
        scoring + "unlock": [Target(scoring + "unlock", "post", year, data=reason,
                                    admin=REFUSED)],
        scoring + "override": [
            Target(scoring + "override", "post", score("auto", "own"), score("auto", "foreign"),
                   data={"points": "0.5", **reason}, admin=REFUSED)],
        scoring + "override_clear": [
            Target(scoring + "override_clear", "post", score("auto", "own"),
                   score("auto", "foreign"), data=reason, admin=REFUSED)],
        scoring + "evidence": [
            Target(scoring + "evidence", own=score("manual", "own"),
                   foreign=score("manual", "foreign"))],
        scoring + "manual": [
            Target(scoring + "manual", "post", department_item(s.manual_item, "own"),
                   department_item(s.manual_item, "foreign"),
                   data={"points": "0", "evidence": "材料"}, admin=REFUSED)],
        scoring + "appeal_file": [
            Target(scoring + "appeal_file", "post", department_item(s.appeal_item, "own"),
                   department_item(s.appeal_item, "foreign"), data={"reason": "申诉理由"},
                   changes=True)],
        scoring + "appeal_answer": [
            Target(scoring + "appeal_answer", "post",
                   {"year": YEAR, "appeal_id": s.appeal["own"].pk},
                   {"year": YEAR, "appeal_id": s.appeal["foreign"].pk},
                   data={"decision": "reject", "reply": "答复"}, admin=REFUSED)],
        schemes + "index": [Target(schemes + "index", admin=REFUSED)],
        schemes + "index_results": [Target(schemes + "index_results", admin=REFUSED)],
        schemes + "add": [Target(schemes + "add", admin=REFUSED),
                          Target(schemes + "add", "post", admin=REFUSED)],
        schemes + "edit": [Target(schemes + "edit", own=scheme_pk, admin=REFUSED),
                           Target(schemes + "edit", "post", scheme_pk, admin=REFUSED)],
        schemes + "delete": [Target(schemes + "delete", own=scheme_pk, admin=REFUSED),
                             Target(schemes + "delete", "post", scheme_pk, admin=REFUSED)],
        schemes + "history": [Target(schemes + "history", own=scheme_pk, admin=REFUSED)],
        schemes + "history_results": [
            Target(schemes + "history_results", own=scheme_pk, admin=REFUSED)],
        schemes + "usage": [Target(schemes + "usage", own=scheme_pk, admin=REFUSED)],
        schemes + "default": [Target(schemes + "default", admin=REFUSED),
                              Target(schemes + "default", "post", data={"year": str(YEAR)},
                                     admin=REFUSED)],
        "assessment_exports:export": [
            *(export(kind, method, admin=REFUSED) for method in ("get", "post")
              for kind in ("overview",)),
            *(export("department", method, query=f"?department={s.a.pk}",
                     foreign_query=f"?department={s.b.pk}") for method in ("get", "post")),
            *(export("sheets", method, foreign_query=f"?department={s.b.pk}")
              for method in ("get", "post")),
            export("sheets", "get", query=f"?department={s.a.pk}")],
        "assessment_exports:job": [
            Target("assessment_exports:job", own=job("own"), foreign=job("foreign"),
                   bureau=job("bureau")),
            Target("assessment_exports:job", own=job("own"), foreign=job("foreign"),
                   bureau=job("bureau"), query="?format=json")],
        "assessment_exports:download": [
            Target("assessment_exports:download", own=job("own"), foreign=job("foreign"),
                   bureau=job("bureau"))],
    }


# The names the sweep covers (parametrised at collection, checked against the resolver).
URL_NAMES = (
    "assessment:overview", "assessment:department", "assessment:report_json",
    "assessment_scoring:index", "assessment_scoring:results", "assessment_scoring:sheet",
    "assessment_scoring:appeals", "assessment_scoring:audit", "assessment_scoring:compute",
    "assessment_scoring:lock", "assessment_scoring:unlock", "assessment_scoring:override",
    "assessment_scoring:override_clear", "assessment_scoring:evidence",
    "assessment_scoring:manual", "assessment_scoring:appeal_file",
    "assessment_scoring:appeal_answer",
    "assessment_schemes:index", "assessment_schemes:index_results", "assessment_schemes:add",
    "assessment_schemes:edit", "assessment_schemes:delete", "assessment_schemes:history",
    "assessment_schemes:history_results", "assessment_schemes:usage",
    "assessment_schemes:default",
    "assessment_exports:export", "assessment_exports:job", "assessment_exports:download",
)


def _walk(patterns, route: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route + str(pattern.pattern))
        else:
            yield route + str(pattern.pattern), pattern.name


def registered_urls() -> dict[str, str]:
    """`namespace:name` → route of every URL in the assessment namespaces."""
    resolver = get_resolver()
    found = {}
    for namespace in NAMESPACES:
        assert namespace in resolver.namespace_dict, f"namespace {namespace} is not registered"
        prefix, sub = resolver.namespace_dict[namespace]
        for route, name in _walk(sub.url_patterns, prefix):
            assert name, f"an unnamed URL in {namespace}: {route}"
            found[f"{namespace}:{name}"] = route
    return found


# --- Making the requests ---------------------------------------------------------------------


@dataclass
class Answer:
    """What a request answered, and the rows after it (read before the rollback)."""

    status: int
    location: str
    content_type: str
    body: bytes
    after: tuple

    def text(self) -> str:
        """The body as text; a workbook's cells joined."""
        if self.content_type.startswith(XLSX) and self.body[:2] == b"PK":
            book = load_workbook(io.BytesIO(self.body), read_only=True)
            return "\n".join(str(value) for sheet in book.worksheets
                             for row in sheet.iter_rows(values_only=True)
                             for value in row if value is not None)
        return self.body.decode("utf-8", "replace")


def ask(user, method: str, url: str, data: dict | None = None, *, csrf: bool = False) -> Answer:
    """One request in a savepoint that is rolled back afterwards (the login included)."""
    client = Client(enforce_csrf_checks=csrf)
    with transaction.atomic():
        if user is not None:
            client.force_login(user)
        response = getattr(client, method)(url, data or {})
        # Reading a streamed body closes the response through the test client's wrapper;
        # closing it again would fire `request_finished` and close the connection mid-savepoint.
        body = (b"".join(response.streaming_content) if response.streaming
                else response.content)
        answer = Answer(response.status_code, response.get("Location", ""),
                        response.get("Content-Type", ""), body, snapshot())
        transaction.set_rollback(True)
    return answer


def _login_url() -> str:
    return reverse("wagtailadmin_login")


def _home_url() -> str:
    return reverse("wagtailadmin_home")


def _leaks(answer: Answer) -> list[str]:
    text = answer.text()
    return [marker for marker in FOREIGN_MARKERS if marker in text]


class Failures(list):
    def check(self, condition: bool, who: str, method: str, url: str, expected: str,
              answer: Answer | None = None) -> None:
        if not condition:
            got = (f"{answer.status} {answer.location}".strip() if answer is not None
                   else "")
            self.append(f"{who} {method.upper()} {url}: expected {expected}, got {got}")


def _refused(answer: Answer) -> bool:
    return answer.status in (403, 404) or (answer.status == 302
                                           and answer.location == _home_url())


def _to_login(answer: Answer) -> bool:
    return answer.status == 403 or (answer.status == 302
                                    and answer.location.startswith(_login_url()))


def _post_ok(answer: Answer) -> bool:
    """A POST that did its work: the page again (a form) or a redirect that is not a refusal."""
    return answer.status == 200 or (answer.status == 302 and answer.location not in (
        _home_url(), "") and not answer.location.startswith(_login_url()))


def sweep_target(s: Sweep, target: Target, failures: Failures) -> None:
    before = snapshot()
    method, data = target.method, target.data
    check = failures.check

    # Anonymous visitors and learners: the login page (or 403), nothing changed.
    for who, user in (("anonymous", None), ("learner", s.learner)):
        for url in (target.own_url, *target.foreign_urls()):
            answer = ask(user, method, url, data)
            expected = "a redirect to the login page" if user is None else "login or 403"
            ok = (answer.status == 302 and answer.location.startswith(_login_url())
                  if user is None else _to_login(answer))
            check(ok and answer.after == before, who, method, url,
                  f"{expected}, nothing changed", answer)
    # A department admin listed on no department: refused everywhere.
    for url in (target.own_url, *target.foreign_urls()):
        answer = ask(s.admin_none, method, url, data)
        check((_refused(answer) or _to_login(answer)) and answer.after == before,
              "admin of no department", method, url, "refused, nothing changed", answer)

    # Bureau staff: everything, on A and on B.
    for url in (target.bureau_url,
                *(target.foreign_urls() if target.bureau is None else ())):
        answer = ask(s.bureau, method, url, data)
        if method == "post":
            check(_post_ok(answer), "bureau", method, url, "200 or a redirect back", answer)
        elif target.bureau_redirect:
            check(answer.status == 302 and not _refused(answer), "bureau", method, url,
                  "a redirect to the results", answer)
        else:
            check(answer.status == 200, "bureau", method, url, "200", answer)

    # The department admin of A on their own department.
    answer = ask(s.admin_a, method, target.own_url, data)
    url = target.own_url
    if target.admin == REFUSED:
        check(_refused(answer) and answer.after == before, "admin of A", method, url,
              "refused (403/404 or the admin home), nothing changed", answer)
    elif target.admin == OWN_PAGE:
        check(answer.status == 302 and answer.location == target.admin_to, "admin of A",
              method, url, f"a redirect to {target.admin_to}", answer)
    elif method == "post":
        check(_post_ok(answer), "admin of A", method, url, "a redirect back", answer)
        check((answer.after != before) == target.changes, "admin of A", method, url,
              "a change" if target.changes else "no change", answer)
    else:
        check(answer.status == 200, "admin of A", method, url, "200", answer)
    if answer.status == 200:
        leaks = _leaks(answer)
        check(not leaks, "admin of A", method, url, f"nothing of B in the body (found {leaks})",
              answer)

    # The department admin of A with B's ids: 404, nothing of B, nothing changed.
    for url in target.foreign_urls():
        answer = ask(s.admin_a, method, url, data)
        check(answer.status == 404 and answer.after == before, "admin of A", method, url,
              "404 for a foreign department's id, nothing changed", answer)
        leaks = _leaks(answer)
        check(not leaks, "admin of A", method, url, f"nothing of B in the body (found {leaks})",
              answer)


# --- The tests -------------------------------------------------------------------------------


def test_every_assessment_url_has_a_sweep_case(sweep):
    registered = registered_urls()
    cases = targets(sweep)
    assert set(cases) == set(URL_NAMES)
    missing = sorted(set(registered) - set(URL_NAMES))
    assert not missing, ("URLs without a case in the permission sweep (add them to "
                         f"URL_NAMES and targets()): {[(n, registered[n]) for n in missing]}")
    stale = sorted(set(URL_NAMES) - set(registered))
    assert not stale, f"cases for URLs that no longer exist: {stale}"
    for name, shapes in cases.items():
        assert shapes and all(shape.name == name for shape in shapes), name


@pytest.mark.parametrize("name", URL_NAMES)
def test_each_url_answers_each_user_as_the_contract_says(sweep, name):
    failures = Failures()
    for target in targets(sweep)[name]:
        sweep_target(sweep, target, failures)
    assert not failures, "\n".join(failures)


def _hostile_urls(target: Target, s: Sweep) -> list[str]:
    """The target's own URL with each `<int:…>` segment replaced by a hostile value: huge and
    out-of-range numbers through `reverse`, malformed text through the path itself."""
    kwargs = target.bureau if target.bureau is not None else target.own
    urls = []
    for key, value in kwargs.items():
        if not isinstance(value, int):
            continue
        numbers = [HUGE, HUGE * 1000, 2**63 - 1, 0]
        if key == "year":
            numbers += [1999, 2030, 9999, 32767, 32768, 65536]
        urls += [target.url({**kwargs, key: number}) for number in numbers]
        template = target.url({**kwargs, key: SENTINEL})
        assert template.count(str(SENTINEL)) == 1, template
        urls += [template.replace(str(SENTINEL), text) for text in MALFORMED]
    return urls


@pytest.mark.parametrize("name", URL_NAMES)
def test_hostile_ids_and_unknown_years_answer_404_and_change_nothing(sweep, name):
    failures = Failures()
    before = snapshot()
    for target in targets(sweep)[name]:
        for url in _hostile_urls(target, sweep):
            for who, user in (("bureau", sweep.bureau), ("admin of A", sweep.admin_a)):
                answer = ask(user, target.method, url, target.data)
                path, _mark, query = url.partition("?")
                slashed = f"{path}/" + (f"?{query}" if query else "")
                if (answer.status == 301 and target.method == "get"
                        and unquote(answer.location) == unquote(slashed)):
                    # APPEND_SLASH (`report.json` has no slash): the slashed URL must be a 404.
                    answer = ask(user, "get", answer.location)
                ok = answer.status == 404 or (who == "admin of A" and target.admin == REFUSED
                                              and _refused(answer))
                failures.check(ok and answer.after == before, who, target.method, url,
                               "404, nothing changed", answer)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("query", [
    "?year=1999", "?year=2030", "?year=abc", "?year=-1", f"?year={HUGE}", "?year=２０２６",
    "?year=%202026", "?year=2026.0"])
def test_the_overview_answers_404_for_an_unknown_or_malformed_year(sweep, query):
    url = reverse("assessment:overview") + query
    for user in (sweep.bureau, sweep.admin_a):
        assert ask(user, "get", url).status == 404, (user.username, url)


@pytest.mark.parametrize("value", ["", "999", "abc", "' OR '1'='1", "1" * 40, "２０１", "%00"])
def test_the_json_report_answers_404_for_an_unknown_department_code(sweep, value):
    url = reverse("assessment:report_json", args=[YEAR]) + f"?department={value}"
    # A NUL is refused before any view by `portal.security`'s middleware (400).
    expected = 400 if value == "%00" else 404
    for user in (sweep.bureau, sweep.admin_a):
        assert ask(user, "get", url).status == expected, (user.username, url)


def test_the_json_report_of_a_department_admin_holds_only_their_department(sweep):
    url = reverse("assessment:report_json", args=[YEAR])
    answer = ask(sweep.admin_a, "get", url)
    assert answer.status == 200
    report = json.loads(answer.body)
    assert [department["code"] for department in report["departments"]] == [sweep.a.code]
    for marker in FOREIGN_MARKERS:
        assert marker not in answer.text()
    answer = ask(sweep.bureau, "get", url)
    codes = [department["code"] for department in json.loads(answer.body)["departments"]]
    assert sweep.a.code in codes and sweep.b.code in codes
    answer = ask(sweep.admin_a, "get", f"{url}?department={sweep.b.code}")
    assert answer.status == 404 and sweep.b.code not in answer.text()


@pytest.mark.parametrize("value", ["abc", "-1", "0", str(HUGE), "1.0", "１", "%20"])
def test_department_query_parameters_answer_404_when_malformed(sweep, value):
    urls = [reverse("assessment_scoring:audit", args=[YEAR]) + f"?department={value}",
            reverse("assessment_exports:export", args=[YEAR, "department"])
            + f"?department={value}",
            reverse("assessment_exports:export", args=[YEAR, "sheets"]) + f"?department={value}"]
    for url in urls:
        for user in (sweep.bureau, sweep.admin_a):
            assert ask(user, "get", url).status == 404, (user.username, url)


@pytest.mark.parametrize("kind", ["unknown", "OVERVIEW", "overview.xlsx", "..", "%2e%2e"])
def test_an_unknown_export_kind_answers_404(sweep, kind):
    url = f"/admin/assessment-exports/{YEAR}/{kind}/"
    for user in (sweep.bureau, sweep.admin_a):
        answer = ask(user, "get", url)
        assert answer.status == 404 and answer.after == snapshot(), (user.username, url)


def test_the_department_export_needs_a_department(sweep):
    url = reverse("assessment_exports:export", args=[YEAR, "department"])
    assert ask(sweep.admin_a, "get", url).status == 404
    assert ask(sweep.bureau, "get", url).status == 404


def test_a_department_admins_sheets_export_holds_only_their_department(sweep):
    answer = ask(sweep.admin_a, "get", reverse("assessment_exports:export",
                                               args=[YEAR, "sheets"]))
    assert answer.status == 200 and answer.content_type.startswith(XLSX)
    text = answer.text()
    assert sweep.a.name in text
    assert not [marker for marker in FOREIGN_MARKERS if marker in text]


def test_the_bureau_reaches_another_users_export_job_only_as_a_superuser(sweep):
    """Jobs are their requester's (EXPORTS' rule): the bureau's staff get 404 for a department
    admin's job too, so a job id never leaks a department's export to another person."""
    for side in ("own", "foreign"):
        url = reverse("assessment_exports:download", args=[sweep.job[side].pk])
        assert ask(sweep.bureau, "get", url).status == 404
    url = reverse("assessment_exports:download", args=[sweep.job["foreign"].pk])
    assert ask(sweep.admin_b, "get", url).status == 200


def _post_targets(s: Sweep) -> list[tuple[str, Target]]:
    return [(f"{target.name} {target.own_url}", target)
            for shapes in targets(s).values() for target in shapes if target.method == "post"]


def test_every_post_without_a_csrf_token_is_refused_and_changes_nothing(sweep):
    failures = Failures()
    before = snapshot()
    posts = _post_targets(sweep)
    assert {target.name for _label, target in posts} >= {
        "assessment_scoring:compute", "assessment_scoring:lock", "assessment_scoring:unlock",
        "assessment_scoring:override", "assessment_scoring:override_clear",
        "assessment_scoring:manual", "assessment_scoring:appeal_file",
        "assessment_scoring:appeal_answer", "assessment_exports:export",
        "assessment_schemes:add", "assessment_schemes:edit", "assessment_schemes:delete",
        "assessment_schemes:default"}
    for _label, target in posts:
        users = [("bureau", sweep.bureau)]
        if target.admin == OK:
            users.append(("admin of A", sweep.admin_a))
        for who, user in users:
            answer = ask(user, "post", target.bureau_url if who == "bureau" else target.own_url,
                         target.data, csrf=True)
            failures.check(answer.status == 403 and answer.after == before, who, "post",
                           target.own_url, "403 without a CSRF token, nothing changed", answer)
    assert not failures, "\n".join(failures)


def test_the_sweep_itself_sees_changes(sweep):
    """The "nothing changed" checks would catch a change: an appeal the admin of A files on
    their own sheet and the bureau's override both change the snapshot (then roll back)."""
    before = snapshot()
    shapes = targets(sweep)
    appeal = shapes["assessment_scoring:appeal_file"][0]
    answer = ask(sweep.admin_a, "post", appeal.own_url, appeal.data)
    assert answer.status == 302 and answer.after != before
    assert len(answer.after[2]) == len(before[2]) + 1  # one appeal more
    override = shapes["assessment_scoring:override"][0]
    answer = ask(sweep.bureau, "post", override.own_url, override.data)
    assert answer.status == 302 and answer.after != before
    assert answer.after[0] == before[0] + 1  # one audit entry more
    assert snapshot() == before


def test_targets_are_well_formed(sweep):
    for name, shapes in targets(sweep).items():
        for shape in shapes:
            assert shape.method in ("get", "post"), name
            assert shape.admin in (OK, REFUSED, OWN_PAGE), name
            assert (shape.admin == OWN_PAGE) == (shape.admin_to is not None), name
            assert shape.own_url.startswith("/admin/"), name


def test_the_markers_are_on_the_bureaus_pages(sweep):
    """The leak checks mean something: the bureau's pages show B's name, appeal and evidence."""
    year = {"year": YEAR}
    appeals = ask(sweep.bureau, "get", reverse("assessment_scoring:appeals", kwargs=year))
    assert "甲区" in appeals.text() and "FOREIGN-APPEAL" in appeals.text()
    sheet = ask(sweep.bureau, "get", reverse("assessment_scoring:sheet",
                                             args=[YEAR, sweep.b.pk]))
    assert "FOREIGN-EVIDENCE" in sheet.text()
    page = ask(sweep.bureau, "get", reverse("assessment:department", args=[YEAR, sweep.b.pk]))
    assert FOREIGN_NAMES[0] in page.text()


def test_the_sweep_fails_a_view_that_ignores_the_scope(sweep, monkeypatch):
    """With the department page's scope check removed, the sweep reports the foreign id's
    200 and B's data in the body."""
    from assessments.admin import dashboards
    from departments.models import Department

    monkeypatch.setattr(dashboards, "department_for",
                        lambda user, department_id: Department.objects.get(pk=department_id))
    failures = Failures()
    for target in targets(sweep)["assessment:department"]:
        sweep_target(sweep, target, failures)
    foreign = reverse("assessment:department", args=[YEAR, sweep.b.pk])
    assert any(f"admin of A GET {foreign}: expected 404" in failure for failure in failures)
    assert any("nothing of B in the body" in failure for failure in failures)
