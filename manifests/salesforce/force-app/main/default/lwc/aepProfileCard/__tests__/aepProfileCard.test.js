import { createElement } from "lwc";
import AepProfileCard from "c/aepProfileCard";
import getProfile from "@salesforce/apex/AepProfileController.getProfile";

jest.mock("@salesforce/apex/AepProfileController.getProfile", () => ({ default: jest.fn() }), { virtual: true });
jest.mock("@salesforce/i18n/locale", () => ({ default: "fr-FR" }), { virtual: true });
// Custom Labels are not mocked: sfdx-lwc-jest resolves each to its name ("c.AEP_Refresh"), which proves
// the component shows the label and not a literal.

const FOUND = {
    status: "found",
    profileId: "DLKCcgmRP13BfdqC2HUrXfTuJE",
    lastModifiedAt: "2026-11-09T17:00:00Z",
    match: { matched: null, confidence: 1, writable: true, attempts: [
        { namespace: "CRMID", source: "crm_id", value: "CR***01", outcome: "matched", reason: "AEP returned a profile", confidence: 1 }
    ] },
    sections: [
        { key: "customer", title: "Customer", kind: "attributes", freshness: null, notice: null, items: [
            { key: "name", label: "Name", value: { firstName: "Elena" }, display: "Elena Chen", format: "name", badge: null }
        ] },
        { key: "value", title: "Value and risk", kind: "attributes", freshness: null, notice: null, items: [
            { key: "churn_propensity", label: "Churn propensity", value: 0.77, display: "77%", format: "percent",
              badge: { level: "high", label: "High risk" } }
        ] },
        { key: "audiences", title: "Audiences", kind: "audiences", freshness: null, notice: null, items: [] },
        { key: "purchases", title: "Recent purchases", kind: "events", freshness: null,
          notice: "Recent activity is not available for this AEP credential or licence.", items: [] }
    ]
};

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function mount(recordId) {
    const element = createElement("c-aep-profile-card", { is: AepProfileCard });
    element.recordId = recordId;
    document.body.appendChild(element);
    return element;
}

describe("c-aep-profile-card", () => {
    afterEach(() => {
        while (document.body.firstChild) {
            document.body.removeChild(document.body.firstChild);
        }
        jest.clearAllMocks();
    });

    it("asks Apex for the record's profile and shows the card", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        const element = mount("0035g0000000001AAA");
        await flush();
        expect(getProfile).toHaveBeenCalledWith({ recordId: "0035g0000000001AAA", locale: "fr-FR" });
        const card = element.shadowRoot.querySelector("lightning-card");
        expect(card.title).toBe("Elena Chen");
        const text = element.shadowRoot.textContent;
        expect(text).toContain("77%");
        expect(text).toContain("High risk");
        expect(text).toContain("CRMID");
        expect(element.shadowRoot.querySelector(".notice").textContent).toContain("not available");
    });

    it("shows the connector's display strings and the labels of its own words", async () => {
        getProfile.mockResolvedValue(JSON.stringify({ ...FOUND, locale: "fr_FR",
            lastModifiedDisplay: "9 nov. 2026, 17:00 UTC" }));
        const element = mount("0035g0000000001AAA");
        await flush();
        expect(element.shadowRoot.querySelector(".updated").textContent).toBe("c.AEP_Profile_Updated");
        expect(element.shadowRoot.querySelector(".match li").textContent).toContain("c.AEP_Outcome_Matched");
        expect(element.shadowRoot.querySelector("lightning-button-icon").alternativeText).toBe("c.AEP_Refresh");
    });

    it("shows the no-profile state from a 404 body", async () => {
        getProfile.mockResolvedValue(JSON.stringify({ error: "profile_not_found", message: "none",
            card: { ...FOUND, status: "not_found", profileId: null, sections: [] } }));
        const element = mount("0035g0000000002AAA");
        await flush();
        expect(element.shadowRoot.querySelector("lightning-card").title).toBe("c.AEP_No_Profile_Found");
    });

    it("shows the service's message when the call fails", async () => {
        getProfile.mockRejectedValue({ body: { message: "The customer profile service answered 503." } });
        const element = mount("5005g0000000001AAA");
        await flush();
        expect(element.shadowRoot.querySelector(".error").textContent).toBe("The customer profile service answered 503.");
    });

    it("loads again on refresh", async () => {
        getProfile.mockResolvedValue(JSON.stringify(FOUND));
        const element = mount("0035g0000000001AAA");
        await flush();
        element.shadowRoot.querySelector("lightning-button-icon").click();
        await flush();
        expect(getProfile).toHaveBeenCalledTimes(2);
    });
});
