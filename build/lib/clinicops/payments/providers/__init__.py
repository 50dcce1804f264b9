"""Payment providers: Razorpay over httpx, and an offline stand-in that signs exactly as Razorpay does."""

from clinicops.payments.providers.base import PaymentProvider, get_provider

__all__ = ["PaymentProvider", "get_provider"]
