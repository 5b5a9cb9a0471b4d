// @assay/versions
