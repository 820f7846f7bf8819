"""Certificates (证书): issuing when a plan or a certificate course is done, the learner's pages
and PDF, the public verification page and the bureau's list with revocation."""
