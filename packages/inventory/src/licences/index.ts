// Licence normalisation to SPDX and the report's licence findings.
export { type NormalisedLicence, normaliseLicence } from './normalise.ts';
export { type LicenceCategory, licenceCategory } from './categories.ts';
export { type LicenceFinding, licenceFindings } from './findings.ts';
export { mapLicenceName } from './debian.ts';
