"""Refusals of the clinic plans: a full plan, a clinic read-only for an unpaid bill, a feature not in the plan."""

from __future__ import annotations

from clinicops.errors import AppError, Conflict, Forbidden


class PlanLimitReached(Conflict):
    """The plan's doctor limit would be exceeded (adding a doctor, or moving to a smaller plan)."""

    code = "PLAN_LIMIT_REACHED"

    def __init__(self, *, plan: str, max_doctors: int, current_doctors: int, message: str | None = None,
                 field: str = "plan"):
        message = message or (f"The {plan} plan allows up to {max_doctors} doctors and the clinic has "
                              f"{current_doctors}; upgrade the plan to add more")
        super().__init__(message, details=[{"field": field, "message": message}],
                         params={"plan": plan, "max_doctors": max_doctors, "current_doctors": current_doctors})


class SubscriptionPastDue(AppError):
    """The clinic's bill is unpaid past its grace period: it may read everything and change nothing until paid."""

    status = 402
    code = "SUBSCRIPTION_PAST_DUE"
    message = ("The clinic's subscription invoice is unpaid past its due date, so the clinic is read-only; "
               "pay the open invoice to make changes again")


class FeatureNotInPlan(Forbidden):
    code = "FEATURE_NOT_IN_PLAN"

    def __init__(self, *, plan: str, feature: str, required_plan: str):
        message = f"{feature} is not part of the {plan} plan; it comes with {required_plan}"
        super().__init__(message, details=[{"field": "plan", "message": message}],
                         params={"plan": plan, "feature": feature, "required_plan": required_plan})
