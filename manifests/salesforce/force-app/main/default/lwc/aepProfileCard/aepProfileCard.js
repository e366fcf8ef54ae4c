import { LightningElement, api } from "lwc";
import getProfile from "@salesforce/apex/AepProfileController.getProfile";
import previewUpdate from "@salesforce/apex/AepProfileController.previewUpdate";
import applyUpdate from "@salesforce/apex/AepProfileController.applyUpdate";

const STATUS_TITLES = {
    not_found: "No AEP profile found",
    not_servable: "Profile unavailable"
};

const KEPT = {
    fill_blank: "kept: only filled when blank",
    never_overwrite_human_edit: "kept: changed by a user",
    unchanged: "unchanged",
    no_value: "no value in the profile"
};

function shown(value) {
    return value === null || value === undefined || value === "" ? "—" : String(value);
}

// One line of the reviewed diff: old → new, or why the field stays as it is.
function describeChange(change) {
    const where = `${change.label} (${change.target.split(".").slice(-1)[0]})`;
    if (change.policy === "consent" || change.policy === "label") {
        return change.action === "remove"
            ? `${where}: ${shown(change.old)} → — (removed: ${change.reason})`
            : `${where}: hidden: ${change.reason}`;
    }
    if (change.action === "keep") {
        return `${where}: ${KEPT[change.policy] || change.policy}`;
    }
    return `${where}: ${shown(change.old)} → ${change.stamp ? "(time of writing)" : shown(change.new)}`;
}

export default class AepProfileCard extends LightningElement {
    _recordId;
    card;
    error;
    loading = false;
    review;
    reviewChanged = false;
    message;

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

    // "Update record": first the diff the connector would write, then exactly that write on confirm.
    async handleReview() {
        this.message = undefined;
        this.reviewChanged = false;
        try {
            this.review = this.toReview(JSON.parse(await previewUpdate({ recordId: this._recordId })));
        } catch (e) {
            this.review = undefined;
            this.message = (e && e.body && e.body.message) || "The changes could not be computed.";
        }
    }

    async handleConfirm() {
        try {
            const body = JSON.parse(await applyUpdate({ recordId: this._recordId, planToken: this.review.token }));
            if (body.error === "plan_changed") {
                this.review = this.toReview(body);
                this.reviewChanged = true;
                return;
            }
            this.review = undefined;
            this.message = body.status === "written" ? "Written to the record." : "Nothing to write: the record is up to date.";
            this.load();
        } catch (e) {
            this.message = (e && e.body && e.body.message) || "The record could not be updated.";
        }
    }

    handleCancel() {
        this.review = undefined;
        this.reviewChanged = false;
    }

    toReview(body) {
        const changes = body.changes || [];
        return {
            token: body.plan_token,
            writes: body.writes > 0,
            empty: !body.writes,
            outcome: body.outcome,
            rows: changes.map((change, index) => ({
                rowKey: `${change.record}-${change.target}-${index}`,
                text: describeChange(change),
                rowClass: change.action === "keep" ? "change slds-text-color_weak" : "change"
            }))
        };
    }

    get canUpdate() {
        return this.found && this.card.match && this.card.match.writable && !this.review;
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
                badgeClass: item.badge ? `slds-badge badge-${item.badge.level}` : "",
                detailClass: item.hidden ? "slds-item_detail slds-text-color_weak hidden" : "slds-item_detail"
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
