"""What the screens read, bound once to the store's read engine (issue #15: no screen holds
an engine). Each is the query function of ``db/`` with its engine already given, so its
other parameters and its result keep their types; every read runs in its own deferred
transaction on the read engine and never waits on a write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine

from db import desk_queries, queries, spool

P = ParamSpec("P")
R = TypeVar("R")


def _bound(query: Callable[Concatenate[Engine, P], R], engine: Engine) -> Callable[P, R]:
    def read(*args: P.args, **kwargs: P.kwargs) -> R:
        return query(engine, *args, **kwargs)

    read.__name__ = read.__qualname__ = query.__name__
    read.__doc__ = query.__doc__
    return read


class Reads:
    def __init__(self, engine: Engine) -> None:
        # sales, print jobs, people, policies
        self.sale_by_number = _bound(queries.sale_by_number, engine)
        self.find_sales = _bound(queries.find_sales, engine)
        self.print_job = _bound(queries.print_job, engine)
        self.recent_print_jobs = _bound(queries.recent_print_jobs, engine)
        self.interrupted_jobs = _bound(spool.interrupted_jobs, engine)
        self.list_users = _bound(queries.list_users, engine)
        self.return_policies = _bound(queries.return_policies, engine)
        # the service desk
        self.desk_config = _bound(desk_queries.desk_config, engine)
        self.find_customers = _bound(desk_queries.find_customers, engine)
        self.get_customer = _bound(desk_queries.get_customer, engine)
        self.customer_summary = _bound(desk_queries.customer_summary, engine)
        self.customer_history = _bound(desk_queries.customer_history, engine)
        self.cases_for = _bound(desk_queries.cases_for, engine)
        self.get_case = _bound(desk_queries.get_case, engine)
        self.case_by_number = _bound(desk_queries.case_by_number, engine)
        self.case_links = _bound(desk_queries.case_links, engine)
        self.case_events = _bound(desk_queries.case_events, engine)
        self.referrals_for_case = _bound(desk_queries.referrals_for_case, engine)
        self.department_queue = _bound(desk_queries.department_queue, engine)
        self.follow_ups_due = _bound(desk_queries.follow_ups_due, engine)
        self.analysis_rows = _bound(desk_queries.analysis_rows, engine)
        self.orders_for = _bound(desk_queries.orders_for, engine)
        self.account_of = _bound(desk_queries.account_of, engine)
        self.account_entries = _bound(desk_queries.account_entries, engine)
