import { LightningElement, api } from "lwc";
import getProfile from "@salesforce/apex/AepProfileController.getProfile";

const STATUS_TITLES = {
    not_found: "No AEP profile found",
    not_servable: "Profile unavailable"
};

export default class AepProfileCard extends LightningElement {
    _recordId;
    card;
    error;
    loading = false;

    @api
    get recordId() {
        return this._recordId;
    }

    set recordId(value) {
        this._recordId = value;
        this.load();
    }

    async load() {
        if (!this._recordId) {
            return;
        }
        this.loading = true;
        this.error = undefined;
        try {
            const body = JSON.parse(await getProfile({ recordId: this._recordId }));
            this.card = body.card || body; // 404/422 bodies carry the card under "card"
        } catch (e) {
            this.card = undefined;
            this.error = (e && e.body && e.body.message) || "The customer profile could not be loaded.";
        } finally {
            this.loading = false;
        }
    }

    handleRefresh() {
        this.load();
    }

    get found() {
        return this.card && this.card.status === "found";
    }

    get title() {
        if (!this.card) {
            return "Customer profile";
        }
        if (this.card.status !== "found") {
            return STATUS_TITLES[this.card.status] || "Customer profile";
        }
        const name = this.attributes.find((item) => item.key === "name");
        return name && name.display !== "—" ? name.display : "Customer profile";
    }

    get attributes() {
        return this.sections.filter((s) => s.kind === "attributes").flatMap((s) => s.items);
    }

    get sections() {
        if (!this.card || !this.card.sections) {
            return [];
        }
        return this.card.sections.map((section) => ({
            ...section,
            isAttributes: section.kind === "attributes",
            isEmpty: !section.notice && section.items.length === 0,
            items: section.items.map((item, index) => ({
                ...item,
                rowKey: `${section.key}-${item.key || item.id || index}`,
                text: section.kind === "attributes" ? item.display : this.describe(section.kind, item),
                badgeClass: item.badge ? `slds-badge badge-${item.badge.level}` : ""
            }))
        }));
    }

    describe(kind, item) {
        if (kind === "audiences") {
            return item.name;
        }
        const amount = item.display_amount ? ` · ${item.display_amount}` : "";
        return `${(item.timestamp || "").slice(0, 10)} ${item.label}: ${item.title}${amount}`;
    }

    get attempts() {
        const match = this.card && this.card.match;
        return match ? match.attempts.map((a, i) => ({ ...a, rowKey: `${a.namespace}-${i}` })) : [];
    }
}
