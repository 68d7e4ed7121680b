"""Return policy settings: per category (window, final sale, receipt required, restocking
fee) and the store's refund rules. Only people with the "edit policies" right may save;
every saved change is a PolicyChanged journal entry (GUI thread only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TypeVar

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from app.context import AppContext
from counter.errors import CounterError
from counter.i18n import _
from counter.people.users import Permission, User
from counter.returns.policy import ReturnPolicy, ReturnRules
from counter.returns.policy_admin import change_policies
from db.queries import rules_to_json, save_policies
from ui.columns import fit_headers
from ui.dialogs import CounterDialog
from ui.theme import scaled

_Number = TypeVar("_Number", Decimal, int)


class PolicyError(CounterError):
    pass


class PolicyDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User) -> None:
        super().__init__(parent, _("Return policies"), _("Return policies"))
        self.ctx, self.user = ctx, user
        self.setMinimumSize(scaled(900), scaled(760))
        self.policies = ctx.reads.return_policies()
        self.table = QTableWidget(len(self.policies), 5)
        self.table.setHorizontalHeaderLabels(
            [_("Category"), _("Days"), _("Final sale"), _("Receipt needed"), _("Fee % (opened)")]
        )
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(380)
        self.table.horizontalHeader().setStretchLastSection(True)
        #: per row, the editors the table shows: days, final sale, receipt needed, fee
        self.row_edits: list[tuple[QSpinBox, QCheckBox, QCheckBox, QLineEdit]] = []
        for row, (name, policy) in enumerate(self.policies):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            days = QSpinBox()
            days.setRange(0, 3650)
            days.setValue(policy.return_days)
            self.table.setCellWidget(row, 1, days)
            final_box, receipt_box = QCheckBox(), QCheckBox()
            for col, box, value in ((2, final_box, policy.final_sale), (3, receipt_box, policy.receipt_required)):
                box.setChecked(value)
                self.table.setCellWidget(row, col, box)
            fee = QLineEdit(f"{policy.restocking_fee_percent.normalize():f}")
            self.table.setCellWidget(row, 4, fee)
            self.row_edits.append((days, final_box, receipt_box, fee))
        fit_headers(self.table, (240, 110, 120, 160, 150))  # the category names are in by now
        self.table.resizeColumnToContents(0)
        self.form.addRow(self.table)
        rules = ctx.rules
        store_form = QFormLayout()
        self.rule_edits: dict[str, QLineEdit] = {}
        labels = {
            "cash_refund_approval_over": _("Cash refunds above this need approval"),
            "no_receipt_approval_over": _("No-receipt returns above this need approval"),
            "no_receipt_customer_limit": _("No-receipt refunds per customer ID (rolling window)"),
            "no_receipt_window_days": _("Rolling window (days)"),
            "no_receipt_lowest_price_days": _("No receipt: lowest price of the last (days)"),
        }
        for key, label in labels.items():
            edit = QLineEdit(str(getattr(rules, key)))
            store_form.addRow(label, edit)
            self.rule_edits[key] = edit
        self.form.addRow(store_form)
        if not user.can(Permission.EDIT_POLICIES):
            self.headline.setText(_("Return policies (read only: a manager can change them)"))
            # Translators: a button closing the dialog
            self.ok_button.setText(_("Close"))

    def validate(self) -> None:
        if not self.user.can(Permission.EDIT_POLICIES):
            return
        changed: list[ReturnPolicy] = []
        for (name, policy), (days_box, final_box, receipt_box, fee_edit) in zip(
            self.policies, self.row_edits, strict=True
        ):
            days = days_box.value()
            final = final_box.isChecked()
            receipt = receipt_box.isChecked()
            fee_text = fee_edit.text().strip() or "0"
            try:
                fee = Decimal(fee_text)
            except InvalidOperation:
                raise PolicyError(
                    _("{category}: “{typed}” is not a percentage.").format(category=name, typed=fee_text),
                    _("Type a number from 0 to 100."),
                ) from None
            if not fee.is_finite() or not 0 <= fee <= 100:
                raise PolicyError(
                    _("{category}: the restocking fee must be from 0 to 100 %.").format(category=name), ""
                )
            new = ReturnPolicy(policy.category_id, days, final, receipt, fee)
            if new != policy:
                changed.append(new)
        # In the order the form shows them, so the first wrong field is the one reported.
        rules = ReturnRules(
            cash_refund_approval_over=self._rule_amount("cash_refund_approval_over"),
            no_receipt_approval_over=self._rule_amount("no_receipt_approval_over"),
            no_receipt_customer_limit=self._rule_amount("no_receipt_customer_limit"),
            no_receipt_window_days=self._rule_days("no_receipt_window_days"),
            no_receipt_lowest_price_days=self._rule_days("no_receipt_lowest_price_days"),
        )
        self.ctx.handle(change_policies, self.user, changed, rules, rules_to_json(rules), save=save_policies)

    def _rule_amount(self, key: str) -> Decimal:
        text = self.rule_edits[key].text()
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            raise PolicyError(_("“{typed}” is not a valid value.").format(typed=text), _("Type a number.")) from None
        return _not_negative(value)

    def _rule_days(self, key: str) -> int:
        text = self.rule_edits[key].text()
        try:
            value = int(text)
        except ValueError:
            raise PolicyError(_("“{typed}” is not a valid value.").format(typed=text), _("Type a number.")) from None
        return _not_negative(value)


def _not_negative(value: _Number) -> _Number:
    if value < 0:
        raise PolicyError(_("Policy amounts and days cannot be negative."), "")
    return value
