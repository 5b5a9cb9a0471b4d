// @assay/review-engine: How an AdmissionReview is decided: parse the review, find its images, decide from a snapshot, build every response. No HTTP, no bus.
export {};
