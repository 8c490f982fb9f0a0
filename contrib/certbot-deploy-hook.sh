#!/bin/sh
# certbot deploy hook: uploads each issued or renewed certificate to Alibaba
# Cloud CAS through a casfs mount (docs/SEMANTICS.md "The certificate store").
#   certbot renew --deploy-hook /usr/share/casfs/certbot-deploy-hook.sh
# CASFS_MOUNT (default /mnt/cas) is the mount; the certificate's directory is
# certificates/<lineage name>, the name certbot gives the lineage. Each run
# makes exactly one UploadUserCertificate for a new certificate (a renewal
# becomes the newest of that name; the older uploads stay listed until
# purged) and none when the files are already stored. A failure (a bad key,
# a taken name) is cp's exit status, and .cas/errors says why.
set -eu
: "${RENEWED_LINEAGE:?run me as a certbot deploy hook}"
mnt=${CASFS_MOUNT:-/mnt/cas}
dir=$mnt/certificates/$(basename "$RENEWED_LINEAGE")
mkdir -p "$dir"
cp "$RENEWED_LINEAGE/fullchain.pem" "$RENEWED_LINEAGE/privkey.pem" "$dir/"
echo "casfs: $(basename "$RENEWED_LINEAGE") stored as CertId $(cat "$dir/id" 2>/dev/null || echo '(settling)')"
