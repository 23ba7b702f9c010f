"""The invoice list (window, REST, Greenfield, exports, dashboard): pages that cost the same at
1,000 or 1,000,000 invoices (bench/bench_queries.py; plans checked in tests/db/test_query_plans.py).

- **Order**: newest first, ``created_at DESC, rowid DESC`` (ties, the same microsecond, newest
  insert first). Every index carries the rowid, so the order comes straight out of
  ``ix_invoices_created`` / ``ix_invoices_store_created`` / ``ix_invoices_status_created`` (only
  a list of several statuses merges their index ranges in a small sort of rowids).
- **Page**: the page's rowids are chosen first from the index alone (``WHERE rowid IN (SELECT rowid
  ... LIMIT .. OFFSET ..)``), then only those rows are read: a deep offset walks index entries,
  never rows (offset 100,000 at 1M invoices: a few ms).
- **Total**: ``count(*)`` walks every matching index entry, the one part that grows with history, so
  totals are kept per filter (``TotalCache``): a new invoice adds 1 to every cached total whose
  filter it matches (``InvoiceFilter.matches``, the same rules as the SQL); a status change
  (``invoice.status_changed``: expiry, payment, marks) moves the totals of store/status filters by
  -1/0/+1 and drops the others; a count that raced with a change is not kept. So a total is counted
  once per filter and process, then kept exact for free.
- **Search** (``text``, ``text_condition``): the id and the address exactly (unique indexes); a term
  of 3 characters or more is looked up in the FTS5 trigram index ``invoices_search`` (migration
  0008, app/db/search_index.py) and only the rows it names are checked with LIKE, so the result is
  exactly the substring match at the cost of the matching rows, not of the history; a shorter term
  is the whole order id (``ix_invoices_order_id``). The other filters then test those rows
  (``_unindexed``), and the matches are sorted newest first (see docs/invoices.md for the figures).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import ValidationError
from app.core.events import InvoiceStatusChanged
from app.core.queries import MIN_TERM, InvoiceFilter, case_variants, search_term
from app.core.records import Invoice, Page
from app.core.statuses import InvoiceStatus
from app.db.mapping import to_invoice, to_payment
from app.db.models import InvoiceRow, OutboxEventRow, PaymentRow
from app.db.search_index import SEARCH_TABLE, invoices_search, match_phrase
from app.services.events import EventBus, OutboxEvent
from app.services.writer import Writer

ROWID: ColumnElement[int] = literal_column("invoices.rowid")
NEWEST_FIRST = (InvoiceRow.created_at.desc(), ROWID.desc())
MAX_TOTALS = 256
# a term in at least this many invoices (the FTS index says, capped) is "common": its page comes from
# walking the list's own index newest first, testing each row (a page of 50 at 1-in-5: ~250 rows),
# and its total from a count over that index (as before the FTS index): through the FTS index it would
# cost every match (1M matches: seconds for a page); below it, the FTS index (~3 ms per 1,000 matches)
COMMON_TERM = 10_000


def _key(flt: InvoiceFilter) -> tuple[object, ...]:
    return (flt.store_id, tuple(flt.store_ids) if flt.store_ids is not None else None,
            tuple(sorted(str(s) for s in flt.status)) if flt.status else None, flt.created_from, flt.created_to,
            flt.text, flt.order_id)


def _unindexed(column: InstrumentedAttribute[Any], off: bool) -> ColumnElement[Any]:
    """``+invoices.col`` (SQLite: the same value, no index on it) when the search drives the query:
    without it the planner, having no statistics, walks a store's or a status's whole index range
    and tests the search on each row (1-1.5 s at 1M) instead of reading the few matching rowids."""
    return literal_column(f"+invoices.{column.key}", type_=column.type) if off else column.expression


def conditions(flt: InvoiceFilter, *, common: bool = False) -> list[ColumnElement[bool]]:
    """The filter's WHERE; ``common``: its text is a common term (COMMON_TERM), tested row by row."""
    where: list[ColumnElement[bool]] = []
    term = search_term(flt.text) if flt.text else ""
    driven = bool(term) and not common  # the search's index chooses the rows
    store_id = _unindexed(InvoiceRow.store_id, driven)
    status = _unindexed(InvoiceRow.status, driven)
    created_at = _unindexed(InvoiceRow.created_at, driven)
    if flt.store_id:
        where.append(store_id == flt.store_id)
    if flt.store_ids is not None:
        where.append(store_id.in_(list(flt.store_ids)))
    if flt.status:
        where.append(status.in_([str(InvoiceStatus(s)) for s in flt.status]))
    if flt.created_from:
        where.append(created_at >= flt.created_from)
    if flt.created_to:
        where.append(created_at < flt.created_to)
    if flt.order_id:
        where.append(InvoiceRow.order_id == flt.order_id)
    if term:
        where.append(text_condition(term, common=common))
    return where


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _substring(term: str) -> ColumnElement[bool]:
    like = _like(term)
    return or_(*(column.like(like, escape="\\") for column in
                 (InvoiceRow.order_id, InvoiceRow.description, InvoiceRow.buyer_email)))


def _match(term: str) -> ColumnElement[bool]:
    return literal_column(SEARCH_TABLE).op("MATCH")(match_phrase(term))


def common_query(term: str) -> Select[int]:
    """The COMMON_TERM-th row the FTS index names for ``term``, if there is one (~2-20 ms: it stops there)."""
    return select(invoices_search.c.rowid).where(_match(term)).offset(COMMON_TERM - 1).limit(1)


def text_condition(term: str, *, common: bool = False) -> ColumnElement[bool]:
    """The search (rules: app/core/queries.py ``text_matches``), from indexes only: the id and the
    address exactly (their unique indexes); a term of MIN_TERM characters or more through the FTS5
    trigram index (``invoices_search``: the rowids whose order id, description or e-mail hold the
    term's trigrams, case-folded), then LIKE on those rows alone, so the result is exactly the
    substring match (LIKE's ASCII case rules; % and _ escaped); a shorter term as the whole order id
    (ix_invoices_order_id, each ASCII case spelling)."""
    exact = or_(InvoiceRow.id == term, InvoiceRow.address == term)
    if len(term) < MIN_TERM:
        return or_(exact, InvoiceRow.order_id.in_(case_variants(term)))
    if common:
        return or_(exact, _substring(term))
    found = select(invoices_search.c.rowid).where(_match(term))
    return or_(exact, and_(ROWID.in_(found), _substring(term)))


def page_query(flt: InvoiceFilter, *, offset: int, limit: int, common: bool = False) -> Select[InvoiceRow]:
    where = conditions(flt, common=common)
    rowids = select(ROWID).select_from(InvoiceRow).where(*where).order_by(*NEWEST_FIRST).offset(offset).limit(limit)
    return select(InvoiceRow).where(ROWID.in_(rowids.scalar_subquery())).order_by(*NEWEST_FIRST)


def count_query(flt: InvoiceFilter, *, common: bool = False) -> Select[int, int | None]:
    """The total and the last outbox seq, in one statement: one snapshot (TotalCache)."""
    count = select(func.count()).select_from(InvoiceRow).where(*conditions(flt, common=common)).scalar_subquery()
    return select(count, select(func.max(OutboxEventRow.seq)).scalar_subquery())


def _simple(flt: InvoiceFilter) -> bool:
    """A filter on store and status only: a status change moves its total by -1, 0 or +1."""
    return not (flt.created_from or flt.created_to or flt.text or flt.order_id)


def _counts(flt: InvoiceFilter, store_id: str | None, status: str) -> bool:
    if flt.store_id and store_id != flt.store_id:
        return False
    if flt.store_ids is not None and store_id not in flt.store_ids:
        return False
    return not flt.status or status in {str(s) for s in flt.status}


@dataclass
class _Total:
    flt: InvoiceFilter
    total: int
    seq: int  # the last outbox event the count saw (same statement, same snapshot)


class TotalCache:
    """Totals per filter, kept exact (see the module docstring).

    A total is stored with the outbox ``seq`` its count saw; a later event (``seq`` above it) is
    applied to it, an earlier one is already in it. A count that ran while an invoice was created
    or changed (``generation`` moved) is not stored: it may be on either side of the change."""

    def __init__(self, max_entries: int = MAX_TOTALS) -> None:
        self._totals: OrderedDict[tuple[object, ...], _Total] = OrderedDict()
        self._max = max_entries
        self.generation = 0

    def get(self, flt: InvoiceFilter) -> int | None:
        entry = self._totals.get(_key(flt))
        return None if entry is None else entry.total

    def put(self, flt: InvoiceFilter, total: int, seq: int, generation: int) -> None:
        if generation != self.generation:
            return
        key = _key(flt)
        self._totals[key] = _Total(flt, total, seq)
        self._totals.move_to_end(key)
        while len(self._totals) > self._max:
            self._totals.popitem(last=False)

    def created(self, invoice: Invoice, seq: int) -> None:
        self.generation += 1
        for entry in self._totals.values():
            if entry.seq < seq and entry.flt.matches(invoice):
                entry.total += 1

    def status_changed(self, store_id: str | None, old: str, new: str, seq: int) -> None:
        self.generation += 1
        for key, entry in list(self._totals.items()):
            if entry.seq >= seq:
                continue
            if not _simple(entry.flt):
                del self._totals[key]  # its other conditions need the invoice's row: count again
                continue
            entry.total += _counts(entry.flt, store_id, new) - _counts(entry.flt, store_id, old)

    def changed(self) -> None:
        """Forget every total (benchmarks: the cost of the first list after a start)."""
        self.generation += 1
        self._totals.clear()


class InvoiceListing:
    def __init__(self, writer: Writer, bus: EventBus) -> None:
        self._writer = writer
        self.totals = TotalCache()
        self._common: OrderedDict[str, bool] = OrderedDict()  # term -> common (a stale answer costs time only)
        bus.subscribe(self._on_event)

    def _on_event(self, event: OutboxEvent) -> None:
        # creations are counted in created(); no other event changes what a filter looks at
        if event.type == InvoiceStatusChanged.type:
            self.totals.status_changed(event.store_id, str(event.payload.get("old_status")),
                                       str(event.payload.get("new_status")), event.seq)

    def created(self, invoice: Invoice, events: Sequence[OutboxEvent]) -> None:
        """Right after the creating transaction commits (InvoiceService.create), with its events."""
        self.totals.created(invoice, max((e.seq for e in events), default=0))

    async def list(self, flt: InvoiceFilter | None = None, *, offset: int = 0, limit: int = 50) -> Page:
        flt = flt or InvoiceFilter()
        if not 1 <= limit <= 1000 or offset < 0:
            raise ValidationError("limit must be 1-1000 and offset >= 0.", code="invalid_paging", field="limit")
        async with self._writer.read() as session:
            term = search_term(flt.text) if flt.text else ""
            common = len(term) >= MIN_TERM and await self._is_common(session, term)
            total = self.totals.get(flt)
            if total is None:
                generation = self.totals.generation
                count, seq = (await session.execute(count_query(flt, common=common))).one()
                total = count or 0
                self.totals.put(flt, total, seq or 0, generation)
            rows = (await session.scalars(page_query(flt, offset=offset, limit=limit, common=common))).all()
            paid: dict[str, list[PaymentRow]] = {}
            if rows:  # the page's payments in one query (no N+1): lists carry the same payments as get()
                for p in (await session.scalars(select(PaymentRow).where(
                        PaymentRow.invoice_id.in_([r.id for r in rows])).order_by(PaymentRow.first_seen_at))).all():
                    paid.setdefault(p.invoice_id, []).append(p)
            return Page(items=tuple(to_invoice(r, [to_payment(p) for p in paid.get(r.id, [])]) for r in rows),
                        total=total, offset=offset, limit=limit)

    async def _is_common(self, session: AsyncSession, term: str) -> bool:
        common = self._common.get(term)
        if common is None:
            common = (await session.execute(common_query(term))).first() is not None
            self._common[term] = common
            while len(self._common) > MAX_TOTALS:
                self._common.popitem(last=False)
        self._common.move_to_end(term)
        return common
