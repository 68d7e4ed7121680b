"""After a commit: carry out the documents it made due (counter.trust.outbox).

``carry_out`` runs right after the commit, on the screen's behalf: each due receipt becomes
a print job (written in the transaction that settles it, app.spooler), each due credit note
a PDF in the store's documents folder. If Counter stops before that, the documents stay
due: ``pending`` lists them at the next start, and the person who signs in prints them or
says they are not wanted (``decline``, recorded with who and when). Nothing is printed
behind anybody's back, and nothing recorded is left without its receipt and without a word.

The cash drawer's openings, due with the same commits, are carried out by app.drawer: the
drawer's reaction is wired with the devices (ui/devices/device_wiring.py, ui/cash/cash_drawer.py),
which kick the drawer once its opening is journaled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.events import AfterCommit, ReturnCommitted, SaleCommitted, Tell, VoidCommitted
from app.spooler import AlreadyCarriedOut, Spooler
from counter.errors import CounterError, StoreError
from counter.i18n import _
from counter.ports import Clock, UnitOfWork
from counter.trust.outbox import Due, DueDocument, DueState
from devices.pdf import render_pdf

log = logging.getLogger(__name__)


@dataclass
class CarriedOut:
    jobs: list[str] = field(default_factory=list)  # print job ids
    saved: list[Path] = field(default_factory=list)  # credit notes written
    problems: list[str] = field(default_factory=list)  # what could not be done, for the person

    @property
    def saved_lines(self) -> list[str]:
        """What to tell the person of the credit notes saved."""
        return [_("Credit note saved: {file}.").format(file=path.name) for path in self.saved]


class Reactions:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        read_uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        spooler: Spooler,
        documents_dir: Callable[[], Path],
    ) -> None:
        self._uow = uow_factory
        self._read = read_uow_factory
        self._clock = clock
        self.spooler = spooler
        self._documents_dir = documents_dir

    def subscribe_to(self, after_commit: AfterCommit) -> None:
        """Carry out, after each committed sale or return, the documents it made due."""
        after_commit.subscribe(SaleCommitted, self.on_sale)
        after_commit.subscribe(ReturnCommitted, self.on_return)
        after_commit.subscribe(VoidCommitted, self.on_void)

    def on_sale(self, event: SaleCommitted) -> None:
        self._tell(self.carry_out([event.sale.receipt_number]), event.tell)

    def on_return(self, event: ReturnCommitted) -> None:
        record = event.record
        references = [record.return_number]
        if record.exchange_sale is not None:
            references.append(record.exchange_sale.receipt_number)
        self._tell(self.carry_out(references), event.tell)

    def on_void(self, event: VoidCommitted) -> None:
        """The void slip (counter.sales.voids) made due with the void."""
        self._tell(self.carry_out([event.record.void_number]), event.tell)

    @staticmethod
    def _tell(done: CarriedOut, tell: Tell) -> None:
        for line in done.saved_lines:
            tell(line, "ok")
        if done.problems:
            tell(" ".join(done.problems), "error")

    def pending(self, references: Sequence[str] | None = None) -> list[DueDocument]:
        with self._read() as uow:
            return uow.outbox.pending(references)

    def carry_out(self, references: Sequence[str]) -> CarriedOut:
        """Print and save what is due for these documents (after their commit)."""
        return self.carry_out_items(self.pending(references))

    def carry_out_items(self, items: Sequence[DueDocument]) -> CarriedOut:
        done = CarriedOut()
        for item in items:
            try:
                if item.due is Due.PRINT:
                    done.jobs.append(
                        self.spooler.print_receipt(
                            item.document, reference=item.reference, copy_number=0, settles=item.id
                        )
                    )
                else:
                    done.saved.append(self._save_credit_note(item))
            except AlreadyCarriedOut:
                continue  # settled meanwhile: nothing to do, nothing printed twice
            except CounterError as exc:
                done.problems.append(f"{item.label}: {exc.message} {exc.hint}".strip())
            except OSError as exc:
                log.exception("could not carry out %s", item.id)
                done.problems.append(
                    _(
                        "{document} was not saved ({reason}). It stays due and is offered again at the next sign-in."
                    ).format(document=item.label, reason=exc.strerror or exc)
                )
        return done

    def _save_credit_note(self, item: DueDocument) -> Path:
        folder = self._documents_dir()
        path = folder / f"credit-note-{item.reference}.pdf"
        tmp = path.with_suffix(".pdf.part")
        tmp.write_bytes(render_pdf(item.document))
        tmp.replace(path)  # a crash leaves the old file or the whole new one, never half
        with self._uow() as uow:
            uow.outbox.settle(item.id, DueState.DONE, self._clock.now())
            uow.commit()
        return path

    def decline(self, items: Sequence[DueDocument], by: str) -> int:
        """The person chose not to print these (offered after a restart). Returns how many
        were still due and are now settled as declined."""
        declined = 0
        with self._uow() as uow:
            for item in items:
                declined += uow.outbox.settle(item.id, DueState.DECLINED, self._clock.now(), by)
            uow.commit()
        return declined


def documents_folder(data_dir: Path) -> Path:
    folder = data_dir / "documents"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            _("The documents folder {folder} cannot be created ({reason}).").format(
                folder=folder, reason=exc.strerror or exc
            ),
            _("Free space on the disk or fix the folder's permissions, then try again."),
        ) from exc
    return folder
