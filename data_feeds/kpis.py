"""KPIs as pandas frames, read from the live state the aggregator keeps.

Formulas and their sources are in docs/kpis.md. Counts come from the hour buckets
(``kpi:YYYYMMDDHH``, local time of the hall); the ones that depend on "now"
(应结案数 needs the open cases already past their deadline) also read the case
index. "Now" is the data clock: the latest event time applied, so a simulation
running faster than real time still has a consistent present.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Literal, cast
from zoneinfo import ZoneInfo

import pandas as pd
import redis

from core import camera_status
from core.keys import Keys
from data_feeds import case_details, catalog, kpi_fields, officer_state
from data_feeds.kpi_catalog import DUE_BASED, KPI_BY_KEY, KPIS

# The dimensions a case is counted by (kpi_fields has hotline and approval ones too).
Dimension = Literal["category", "source", "grid"]


class DayTotals:
    """Counter sums of whole past days, kept between reads by a long-lived reader.

    A half-year's KPIs sum ~4,400 hour buckets; a past day's only change when an
    event of that day arrives late. Whoever follows ``citywall:updates`` calls
    ``forget_from(earliest)`` with each update's earliest event time, and the days
    from then on are read again.
    """

    def __init__(self) -> None:
        self._days: dict[date, Counter[str]] = {}

    def get(self, day: date) -> Counter[str] | None:
        return self._days.get(day)

    def put(self, day: date, sums: Counter[str]) -> None:
        self._days[day] = sums

    def forget_from(self, moment: datetime) -> None:
        first = moment.date()
        for day in [day for day in self._days if day >= first]:
            del self._days[day]

    def __len__(self) -> int:
        return len(self._days)


class KpiReader:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys | None = None,
        timezone: str = "Asia/Shanghai",
        day_totals: DayTotals | None = None,
    ) -> None:
        self._client = client
        self._keys = keys or Keys()
        self._zone = ZoneInfo(timezone)
        self.day_totals = day_totals

    @property
    def keys(self) -> Keys:
        return self._keys

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def now(self) -> datetime:
        """The data clock (latest event applied), else the wall clock; local time."""
        clock = self._client.get(self._keys.clock)
        if clock is None:
            return datetime.now(self._zone)
        return datetime.fromtimestamp(int(cast(bytes, clock)) / 1000, self._zone)

    def counters(self, start: datetime, end: datetime) -> pd.DataFrame:
        """Raw hourly counters in [start, end): one row per local hour, one column per field."""
        hours = self._hours(start, end)
        pipe = self._client.pipeline(transaction=False)
        for hour in hours:
            pipe.hgetall(self._keys.kpi_bucket(hour.strftime("%Y%m%d%H")))
        rows = [
            {key.decode(): int(value) for key, value in bucket.items()} for bucket in pipe.execute()
        ]
        frame = pd.DataFrame(rows, index=pd.DatetimeIndex(hours, name="hour"))
        return frame.fillna(0).astype("int64")

    def sums(self, start: datetime, end: datetime) -> pd.Series:
        """Counter totals over [start, end): whole past days from ``day_totals`` when
        the reader has one, the other hours read bucket by bucket."""
        hours = self._hours(start, end)
        if self.day_totals is None:
            return self._read_sums(hours)
        today = max(self.now(), datetime.now(self._zone)).date()
        by_day: dict[date, list[datetime]] = {}
        for hour in hours:
            by_day.setdefault(hour.date(), []).append(hour)
        total: Counter[str] = Counter()
        loose: list[datetime] = []
        for day, day_hours in by_day.items():
            whole = len(day_hours) == len(self._hours(*_day_bounds(day, self._zone)))
            if not whole or day >= today:
                loose.extend(day_hours)
                continue
            cached = self.day_totals.get(day)
            if cached is None:
                cached = self._read_counter(day_hours)
                self.day_totals.put(day, cached)
            total.update(cached)
        total.update(self._read_counter(loose))
        return pd.Series(total, dtype="int64")

    def _read_counter(self, hours: list[datetime]) -> Counter[str]:
        pipe = self._client.pipeline(transaction=False)
        for hour in hours:
            pipe.hgetall(self._keys.kpi_bucket(hour.strftime("%Y%m%d%H")))
        total: Counter[str] = Counter()
        for bucket in pipe.execute():
            total.update({key.decode(): int(value) for key, value in bucket.items()})
        return total

    def _read_sums(self, hours: list[datetime]) -> pd.Series:
        return pd.Series(self._read_counter(hours), dtype="int64")

    def summary(self, start: datetime, end: datetime) -> pd.DataFrame:
        """Every KPI over [start, end): value, numerator, denominator, labels."""
        totals = self._totals(start, end, dimension=None)
        return _kpi_table(totals.iloc[0] if len(totals) else pd.Series(dtype="float64"))

    def by(self, dimension: Dimension, start: datetime, end: datetime) -> pd.DataFrame:
        """Every KPI per category (大类), source or grid: one row per value, one column per KPI."""
        totals = self._totals(start, end, dimension)
        rows = {name: _kpi_table(row)["value"] for name, row in totals.iterrows()}
        frame = pd.DataFrame(rows).T.sort_index()
        frame.index.name = dimension
        if dimension == "category":
            frame.insert(0, "name", [_category_label(code) for code in frame.index])
        elif dimension == "source":
            frame.insert(0, "name", [catalog.SOURCE_NAMES.get(str(s), s) for s in frame.index])
        return frame

    def hourly(
        self, start: datetime, end: datetime, kpis: Iterable[str] = ("dispatched",)
    ) -> pd.DataFrame:
        """Counts per local hour (trend charts); rates per hour where asked."""
        counters = self.counters(start, end)
        columns = {}
        for key in kpis:
            kpi = KPI_BY_KEY[key]
            if key in DUE_BASED:
                raise ValueError(
                    f"{key}: a KPI of the present (应结案数, cameras), not an hourly one"
                )
            numerator = _column(counters, kpi.numerator) * kpi.scale
            if kpi.denominator is None:
                columns[key] = numerator
            else:
                denominator = _column(counters, kpi.denominator)
                columns[key] = numerator / denominator.where(denominator > 0)
        return pd.DataFrame(columns, index=counters.index)

    def open_cases(self) -> pd.DataFrame:
        """Cases not yet closed or cancelled, with their current status, place and
        details (schema v2; photo lists as JSON arrays, None where not known)."""
        ids = cast(list[bytes], self._client.zrange(self._keys.open_cases, 0, -1))
        return self._cases([i.decode() for i in ids])

    def recent_cases(self, limit: int) -> pd.DataFrame:
        """The ``limit`` latest reported cases, open or finished, newest first: the
        hall's "latest cases" list (a county closes most within hours).

        Open cases are scored by when they were reported, finished ones by when they
        ended: a case reported at or after the ``limit``-th candidate's report time
        ended after it too, so the finished cases ended since then are all it needs
        (capped: a burst of closures of old cases reads a bounded number)."""
        pipe = self._client.pipeline(transaction=False)
        pipe.zrevrange(self._keys.open_cases, 0, limit - 1)
        pipe.zrevrange(self._keys.closed_cases, 0, limit - 1)
        open_ids, closed_ids = cast(list[list[bytes]], pipe.execute())
        ids = list(dict.fromkeys(i.decode() for i in [*open_ids, *closed_ids]))
        cases = self._cases(ids).sort_values("reported_at", ascending=False, kind="stable")
        if len(cases) >= limit and pd.notna(cases["reported_at"].iloc[limit - 1]):
            since = int(cases["reported_at"].iloc[limit - 1].timestamp() * 1000)
            more = cast(
                list[bytes],
                self._client.zrevrangebyscore(
                    self._keys.closed_cases, "+inf", since, start=0, num=limit * 20
                ),
            )
            extra = [i.decode() for i in more if i.decode() not in cases.index]
            if extra:
                cases = pd.concat([cases, self._cases(extra)])
                cases = cases.sort_values("reported_at", ascending=False, kind="stable")
        return cases.head(limit)

    def _cases(self, ids: list[str]) -> pd.DataFrame:
        fields = [
            "case_id", "status", "kind", "category", "category_name", "major_name", "source",
            "priority", "grid", "lat", "lon", "dept", "deadline", "reported_at",
            # photo lists as JSON arrays (case_details.decode_photos); nothing personal:
            # these frames feed the wall's screens
            *(name for name in case_details.FIELDS if name not in case_details.PERSONAL),
        ]  # fmt: skip
        pipe = self._client.pipeline(transaction=False)
        for case_id in ids:
            pipe.hmget(self._keys.case(case_id), fields)
        rows = [[_text(value) for value in row] for row in pipe.execute()]
        frame = pd.DataFrame(rows, columns=fields)
        frame = frame[frame["case_id"].notna()]  # dropped by retention meanwhile
        for column in ("lat", "lon"):
            frame[column] = pd.to_numeric(frame[column])
        for column in ("deadline", "reported_at"):
            frame[column] = pd.to_datetime(pd.to_numeric(frame[column]), unit="ms", utc=True)
        return frame.set_index("case_id")

    def officers(self) -> pd.DataFrame:
        """Every officer's last position, status and grid."""
        pipe = self._client.pipeline(transaction=False)
        pipe.hgetall(self._keys.officers)
        pipe.hgetall(self._keys.positions)
        states, positions = cast(list[dict[bytes, bytes]], pipe.execute())
        rows: dict[str, dict[str, object]] = {}
        for key, value in positions.items():
            lat, lon, ms, grid = value.decode().split(",")
            rows[key.decode()] = {"lat": float(lat), "lon": float(lon), "grid": grid,
                                  "seen": int(float(ms)),
                                  "status": officer_state.OFFLINE}  # fmt: skip
        for key, value in states.items():
            state = json.loads(value)
            row = rows.setdefault(key.decode(), {"lat": None, "lon": None, "seen": None})
            row.update(name=state.get(officer_state.FIELD_NAME),
                       grid=state[officer_state.FIELD_GRID],
                       status=state[officer_state.FIELD_STATUS])  # fmt: skip
        columns = ["name", "grid", "status", "lat", "lon", "seen"]
        frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
        frame.index.name = "officer_id"
        frame["seen"] = pd.to_datetime(frame["seen"], unit="ms", utc=True)
        return frame.sort_index()

    def trail(self, officer_id: str) -> pd.DataFrame:
        """The officer's last positions, oldest first (the trail on the map)."""
        raw = cast(list[bytes], self._client.lrange(self._keys.trail(officer_id), 0, -1))
        points = [point.decode().split(",") for point in reversed(raw)]
        frame = pd.DataFrame(points, columns=["lat", "lon", "ms"]).astype("float64")
        frame["time"] = pd.to_datetime(frame.pop("ms"), unit="ms", utc=True)
        return frame

    def officers_online(self) -> pd.DataFrame:
        """Officers by grid and status (online = any status but 离线 offline)."""
        officers = self.officers()
        table = officers.pivot_table(
            index="grid", columns="status", values="name", aggfunc="size", fill_value=0
        )
        table["online"] = table.drop(columns=officer_state.OFFLINE, errors="ignore").sum(axis=1)
        return table

    def cameras(self) -> pd.DataFrame:
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._keys.cameras))
        rows = [{"camera_id": key.decode(), **json.loads(value)} for key, value in raw.items()]
        columns = ["camera_id", camera_status.FIELD_STATUS, camera_status.FIELD_REASON,
                   camera_status.FIELD_T]  # fmt: skip
        return pd.DataFrame(rows, columns=columns).set_index("camera_id")

    def _hours(self, start: datetime, end: datetime) -> list[datetime]:
        hour = start.astimezone(self._zone).replace(minute=0, second=0, microsecond=0)
        stop = end.astimezone(self._zone)
        hours = []
        while hour < stop:
            hours.append(hour)
            hour = (hour + timedelta(hours=1)).astimezone(self._zone)
        return hours

    def _totals(self, start: datetime, end: datetime, dimension: Dimension | None) -> pd.DataFrame:
        """Counter sums over the period (one row, or one row per dimension value),
        with 应结案数 added: closed in the period plus open cases whose deadline
        passed in it."""
        sums = self.sums(start, end)
        overdue = self._overdue_open(start, end)
        if dimension is None:
            frame = sums[[name for name in sums.index if kpi_fields.is_total(name)]].to_frame().T
            frame["overdue_open"] = len(overdue)
            online, known = self._cameras_online()
            frame["cameras_online"], frame["cameras_known"] = online, known
        else:
            prefix = kpi_fields.DIMENSION_PREFIX[dimension]
            marker = kpi_fields.SEPARATOR + prefix
            picked = sums[[name for name in sums.index if marker in name]]
            pairs = [kpi_fields.split(name) for name in picked.index]
            if pairs:
                frame = pd.Series(picked.to_numpy(), index=pd.MultiIndex.from_tuples(
                    [(tag.removeprefix(prefix), metric) for metric, tag in pairs]
                )).unstack(fill_value=0)  # fmt: skip
            else:  # nothing counted in the period yet (just after midnight)
                frame = pd.DataFrame(index=pd.Index([], dtype="object"))
            if not overdue.empty:
                counts = overdue[dimension].value_counts()
                frame = frame.reindex(frame.index.union(counts.index), fill_value=0)
                frame["overdue_open"] = counts.reindex(frame.index, fill_value=0)
            else:
                frame["overdue_open"] = 0
        frame["due"] = _column(frame, "closed") + frame["overdue_open"]
        return frame

    def _cameras_online(self) -> tuple[int, int]:
        """(online, known) cameras now: those whose state the relay reported."""
        raw = cast(dict[bytes, bytes], self._client.hgetall(self._keys.cameras))
        statuses = camera_status.camera_statuses(raw)
        return sum(1 for s in statuses.values() if s == camera_status.ONLINE), len(statuses)

    def _overdue_open(self, start: datetime, end: datetime) -> pd.DataFrame:
        until = min(end, self.now())
        ids = cast(
            list[bytes],
            self._client.zrangebyscore(
                self._keys.deadlines, int(start.timestamp() * 1000), int(until.timestamp() * 1000)
            ),
        )
        pipe = self._client.pipeline(transaction=False)
        for case_id in ids:
            pipe.hmget(self._keys.case(case_id.decode()), ["kind", "category", "source", "grid"])
        rows = [[_text(value) for value in row] for row in pipe.execute()]
        frame = pd.DataFrame(rows, columns=["kind", "category", "source", "grid"])
        majors = frame["category"].str[: kpi_fields.MAJOR_DIGITS]
        frame["category"] = frame["kind"] + kpi_fields.CATEGORY_JOIN + majors
        return frame


def _day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


def _kpi_table(totals: pd.Series) -> pd.DataFrame:
    rows = []
    for kpi in KPIS:
        numerator = float(totals.get(kpi.numerator, 0))
        denominator = None if kpi.denominator is None else float(totals.get(kpi.denominator, 0))
        if denominator is None:
            value: float | None = numerator * kpi.scale
        else:
            value = numerator * kpi.scale / denominator if denominator else None
        rows.append((kpi.key, kpi.zh, kpi.en, value, numerator, denominator))
    frame = pd.DataFrame(rows, columns=["kpi", "zh", "en", "value", "numerator", "denominator"])
    return frame.set_index("kpi")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(0, index=frame.index, dtype="int64")


def _category_label(tag: object) -> str:
    kind, _, major = str(tag).partition(kpi_fields.CATEGORY_JOIN)
    return f"{catalog.KIND_NAMES.get(kind, kind)}/{catalog.major_name(kind, major)}"


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode()
