// @assay/vulndb
