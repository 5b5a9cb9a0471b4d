// @assay/domain: The domain model: scan reports, image assurance and runtime policies, exceptions, severities, and the schemas that validate them. No persistence.
export {};
