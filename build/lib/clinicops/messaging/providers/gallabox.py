"""Gallabox: ``POST {base}/devapi/messages/whatsapp`` with ``apiKey``/``apiSecret`` headers and a template.

Body: ``{channelId, channelType: "whatsapp", recipient: {name, phone: "91…"}, whatsapp: {type: "template",
template: {templateName, bodyValues: {variable: value}}}}``. The answer's ``id`` is the message id that
Gallabox's status webhooks refer to.
"""

from __future__ import annotations

from clinicops.config import Settings
from clinicops.kit import phones
from clinicops.messaging.providers import OutgoingMessage, SendResult
from clinicops.messaging.providers.http import post_json
from clinicops.messaging.templates import provider_template


class GallaboxProvider:
    name = "gallabox"

    def __init__(self, settings: Settings):
        self.settings = settings

    def request_body(self, message: OutgoingMessage) -> dict:
        spec = provider_template(message.template, default_language=_language(self.settings),
                                 overrides=_template_map(self.settings))
        values = {key: str(message.params.get(param, "")) for key, param in spec.params}
        return {
            "channelId": self.settings.gallabox_channel_id,
            "channelType": "whatsapp",
            "recipient": {"name": message.recipient_name or "", "phone": phones.wire(message.recipient)},
            "whatsapp": {"type": "template", "template": {"templateName": spec.name, "bodyValues": values}},
        }

    async def send(self, message: OutgoingMessage) -> SendResult:
        url = self.settings.gallabox_base_url.rstrip("/") + "/devapi/messages/whatsapp"
        headers = {"apiKey": self.settings.gallabox_api_key, "apiSecret": self.settings.gallabox_api_secret,
                   "Content-Type": "application/json"}
        data = await post_json(url, body=self.request_body(message), headers=headers,
                               timeout_s=self.settings.outbound_timeout_s, provider=self.name)
        message_id = data.get("id") or data.get("messageId")
        return SendResult(provider=self.name, provider_message_id=str(message_id) if message_id else None)


def _language(settings: Settings) -> str:
    return getattr(settings, "whatsapp_language", "en") or "en"


def _template_map(settings: Settings) -> str:
    return getattr(settings, "whatsapp_template_map", "") or ""
