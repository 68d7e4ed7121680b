"""Return policy settings: per category (window, final sale, receipt required, restocking
fee) and the store's refund rules. Only people with the "edit policies" right may save;
every saved change is a PolicyChanged journal entry (GUI thread only)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLineEdit, QSpinBox, QTableWidget, QTableWidgetItem, QWidget

from app.context import AppContext
from counter.errors import CounterError
from counter.policy import ReturnPolicy, ReturnRules
from counter.policy_admin import change_policies
from counter.users import Permission, User
from db.queries import return_policies, rules_to_json, save_policies
from ui.dialogs import CounterDialog


class PolicyError(CounterError):
    pass


class PolicyDialog(CounterDialog):
    def __init__(self, parent: QWidget | None, ctx: AppContext, user: User) -> None:
        super().__init__(parent, "Return policies", "Return policies")
        self.ctx, self.user = ctx, user
        self.setMinimumSize(900, 760)
        self.policies = return_policies(ctx.db.read)
        self.table = QTableWidget(len(self.policies), 5)
        self.table.setHorizontalHeaderLabels(["Category", "Days", "Final sale", "Receipt needed", "Fee % (opened)"])
        self.table.verticalHeader().hide()
        self.table.setMinimumHeight(380)
        for col, width in enumerate((240, 110, 120, 160, 150)):
            self.table.setColumnWidth(col, width)
        self.table.horizontalHeader().setStretchLastSection(True)
        for row, (name, policy) in enumerate(self.policies):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            days = QSpinBox()
            days.setRange(0, 3650)
            days.setValue(policy.return_days)
            self.table.setCellWidget(row, 1, days)
            for col, value in ((2, policy.final_sale), (3, policy.receipt_required)):
                box = QCheckBox()
                box.setChecked(value)
                self.table.setCellWidget(row, col, box)
            fee = QLineEdit(f"{policy.restocking_fee_percent.normalize():f}")
            self.table.setCellWidget(row, 4, fee)
        self.form.addRow(self.table)
        rules = ctx.rules
        store_form = QFormLayout()
        self.rule_edits: dict[str, QLineEdit] = {}
        labels = {
            "cash_refund_approval_over": "Cash refunds above this need approval",
            "no_receipt_approval_over": "No-receipt returns above this need approval",
            "no_receipt_customer_limit": "No-receipt refunds per customer ID (rolling window)",
            "no_receipt_window_days": "Rolling window (days)",
            "no_receipt_lowest_price_days": "No receipt: lowest price of the last (days)",
        }
        for key, label in labels.items():
            edit = QLineEdit(str(getattr(rules, key)))
            store_form.addRow(label, edit)
            self.rule_edits[key] = edit
        self.form.addRow(store_form)
        if not user.can(Permission.EDIT_POLICIES):
            self.headline.setText("Return policies (read only: a manager can change them)")
            self.ok_button.setText("Close")

    def validate(self) -> None:
        if not self.user.can(Permission.EDIT_POLICIES):
            return
        changed: list[ReturnPolicy] = []
        for row, (name, policy) in enumerate(self.policies):
            days = self.table.cellWidget(row, 1).value()  # type: ignore[union-attr]
            final = self.table.cellWidget(row, 2).isChecked()  # type: ignore[union-attr]
            receipt = self.table.cellWidget(row, 3).isChecked()  # type: ignore[union-attr]
            fee_text = self.table.cellWidget(row, 4).text().strip() or "0"  # type: ignore[union-attr]
            try:
                fee = Decimal(fee_text)
            except InvalidOperation:
                raise PolicyError(
                    f"{name}: “{fee_text}” is not a percentage.", "Type a number from 0 to 100."
                ) from None
            if not fee.is_finite() or not 0 <= fee <= 100:
                raise PolicyError(f"{name}: the restocking fee must be from 0 to 100 %.", "")
            new = ReturnPolicy(policy.category_id, days, final, receipt, fee)
            if new != policy:
                changed.append(new)
        values: dict[str, Decimal | int] = {}
        for key, edit in self.rule_edits.items():
            default = getattr(ReturnRules(), key)
            try:
                value: Decimal | int = (
                    Decimal(edit.text().strip()) if isinstance(default, Decimal) else int(edit.text())
                )
            except (InvalidOperation, ValueError):
                raise PolicyError(f"“{edit.text()}” is not a valid value.", "Type a number.") from None
            if value < 0:
                raise PolicyError("Policy amounts and days cannot be negative.", "")
            values[key] = value
        rules = ReturnRules(**values)  # type: ignore[arg-type]
        change_policies(
            self.user,
            changed,
            rules,
            rules_to_json(rules),
            uow_factory=self.ctx.uow,
            clock=self.ctx.clock,
            save=save_policies,
        )
