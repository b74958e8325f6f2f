//! `Signer`: an HMAC-SHA256 over what an entry says, keyed with
//! `[cache] secret`, so that an entry written by anything without the
//! secret (another program sharing the Redis, someone with access to it)
//! is refused rather than served.
//!
//! The signature covers the entry's Redis key, status, `made`, headers and
//! body, as stored, and its lifetime and tags where it has them: the key so
//! that an entry cannot be moved to another path, the lifetime so that it
//! cannot be made fresh for longer. The `expired` and `invalidated` flags
//! are not covered: the revalidate script sets them without the secret, and
//! all they can do is make an instance regenerate.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The fields of an entry a signature covers, as stored in Redis.
pub(super) struct SignedFields<'a> {
    pub key: &'a [u8],
    pub status: &'a [u8],
    pub made: &'a [u8],
    pub headers: &'a [u8],
    pub body: &'a [u8],
    /// Its `life` and `tags` fields, which every entry written since
    /// lifetimes travel has; `None` for one written before, signed without.
    pub life_and_tags: Option<(&'a [u8], &'a [u8])>,
}

/// Signs and checks entries with one secret. `Debug` shows no key.
#[derive(Clone)]
pub(super) struct Signer(Hmac<Sha256>);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    pub(super) fn new(secret: &str) -> Self {
        Signer(
            Hmac::new_from_slice(secret.as_bytes())
                .expect("HMAC takes a key of any length; this is a bug in Trellis"),
        )
    }

    pub(super) fn sign(&self, fields: &SignedFields) -> Vec<u8> {
        self.mac_of(fields).finalize().into_bytes().to_vec()
    }

    /// Whether `signature` is that of `fields`, compared in constant time.
    pub(super) fn verifies(&self, fields: &SignedFields, signature: &[u8]) -> bool {
        self.mac_of(fields).verify_slice(signature).is_ok()
    }

    /// Each field with its length before it, so that no two different
    /// entries feed the same bytes (`ab` + `c` is not `a` + `bc`). An entry
    /// stripped of its lifetime and tags is signed otherwise than it was.
    fn mac_of(&self, fields: &SignedFields) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        let (life, tags) = fields.life_and_tags.unzip();
        let fields = [
            Some(fields.key),
            Some(fields.status),
            Some(fields.made),
            Some(fields.headers),
            Some(fields.body),
            life,
            tags,
        ];
        for field in fields.into_iter().flatten() {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields<'a>(key: &'a [u8], body: &'a [u8]) -> SignedFields<'a> {
        SignedFields {
            key,
            status: b"200",
            made: b"1700000000000",
            headers: b"content-type: text/plain\r\n",
            body,
            life_and_tags: Some((b"5000 60000", b"posts")),
        }
    }

    #[test]
    fn a_signature_verifies_only_the_fields_and_secret_it_was_made_with() {
        let signer = Signer::new("s3cret");
        let signature = signer.sign(&fields(b"t:e:/a", b"body"));
        assert!(signer.verifies(&fields(b"t:e:/a", b"body"), &signature));
        assert!(!signer.verifies(&fields(b"t:e:/a", b"bodY"), &signature));
        assert!(
            !signer.verifies(&fields(b"t:e:/b", b"body"), &signature),
            "moved to another key"
        );
        assert!(
            !signer.verifies(&fields(b"t:e:/ab", b"ody"), &signature),
            "bytes moved between fields"
        );
        assert!(!Signer::new("other").verifies(&fields(b"t:e:/a", b"body"), &signature));
        assert!(!signer.verifies(&fields(b"t:e:/a", b"body"), b""));
        let stripped = SignedFields {
            life_and_tags: None,
            ..fields(b"t:e:/a", b"body")
        };
        assert!(
            !signer.verifies(&stripped, &signature),
            "lifetime and tags taken away"
        );
        let longer = SignedFields {
            life_and_tags: Some((b"- 60000", b"posts")),
            ..fields(b"t:e:/a", b"body")
        };
        assert!(!signer.verifies(&longer, &signature), "fresh for longer");
        assert_eq!(format!("{signer:?}"), "Signer(***)");
    }
}
