using System.Security.Cryptography.X509Certificates;
using Sluice.Config.Model;

namespace Sluice.Tls;

/// <summary>
/// Checks client certificates as HAProxy's bind `verify`, `ca-file`, `crl-file`, `ca-ignore-err` and
/// `crt-ignore-err` do: the chain must lead to a CA of the file; each problem is named by OpenSSL's X509_V_ERR
/// number (what `ssl_c_verify` returns); a problem not ignored fails the handshake, with `optional` as with
/// `required` (HAProxy's verify callback refuses it either way), and only `required` refuses a missing certificate.
/// </summary>
internal sealed class ClientCertificateVerifier
{
    /// <summary>X509_V_OK.</summary>
    public const int Ok = 0;
    private const int Unspecified = 1;
    private const int CertSignatureFailure = 7;
    private const int CertNotYetValid = 9;
    private const int CertHasExpired = 10;
    private const int DepthZeroSelfSigned = 18;
    private const int SelfSignedInChain = 19;
    private const int UnableToGetIssuerLocally = 20;
    private const int CertRevoked = 23;
    private const int InvalidCa = 24;
    private const int InvalidPurpose = 26;

    private readonly X509Certificate2Collection _authorities;
    private readonly RevocationList? _revoked;
    private readonly TlsIgnoredErrors _caIgnored;
    private readonly TlsIgnoredErrors _crtIgnored;

    public ClientCertificateVerifier(TlsVerify mode, X509Certificate2Collection authorities, RevocationList? revoked, TlsIgnoredErrors caIgnored, TlsIgnoredErrors crtIgnored)
    {
        Mode = mode;
        _authorities = authorities;
        _revoked = revoked;
        _caIgnored = caIgnored;
        _crtIgnored = crtIgnored;
    }

    public TlsVerify Mode { get; }

    /// <summary>
    /// Verifies a presented certificate (<paramref name="presentedChain"/> holds what the client sent beside it).
    /// Returns whether the handshake may go on; <paramref name="result"/> is the first error found, leaf first, or 0;
    /// <paramref name="leafError"/> is the first error at depth 0 (`ssl_c_err`), <paramref name="caError"/> the
    /// first above it (`ssl_c_ca_err`), each 0 when none; <paramref name="refusedAboveLeaf"/> says an error above the
    /// leaf was not ignored (HAProxy's "CA chain cannot be verified" rather than "certificate not trusted").
    /// </summary>
    public bool Verify(X509Certificate2? certificate, X509Chain? presentedChain, out int result, out int leafError, out int caError, out bool refusedAboveLeaf)
    {
        result = Ok;
        leafError = Ok;
        caError = Ok;
        refusedAboveLeaf = false;
        if (certificate is null)
        {
            return Mode != TlsVerify.Required;
        }

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(_authorities);
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        if (presentedChain is not null)
        {
            policy.ExtraStore.AddRange(presentedChain.ChainPolicy.ExtraStore);
        }

        chain.Build(certificate);
        var accepted = true;
        var elements = chain.ChainElements;
        for (var depth = 0; depth < elements.Count; depth++)
        {
            var element = elements[depth];
            var error = ErrorOf(element, depth, elements.Count);
            if (error == Ok && _revoked is not null && depth < elements.Count - 1 && _revoked.IsRevoked(element.Certificate))
            {
                error = CertRevoked;
            }

            if (error == Ok)
            {
                continue;
            }

            if (result == Ok)
            {
                result = error;
            }

            if (depth == 0)
            {
                leafError = error;
            }
            else if (caError == Ok)
            {
                caError = error;
            }

            if (!(depth == 0 ? _crtIgnored : _caIgnored).Ignores(error))
            {
                accepted = false;
                refusedAboveLeaf |= depth > 0;
            }
        }

        return accepted;
    }

    private static int ErrorOf(X509ChainElement element, int depth, int length)
    {
        var flags = X509ChainStatusFlags.NoError;
        foreach (var status in element.ChainElementStatus)
        {
            flags |= status.Status;
        }

        if (flags == X509ChainStatusFlags.NoError)
        {
            return Ok;
        }

        if ((flags & X509ChainStatusFlags.NotSignatureValid) != 0)
        {
            return CertSignatureFailure;
        }

        if ((flags & X509ChainStatusFlags.Revoked) != 0)
        {
            return CertRevoked;
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            return element.Certificate.NotAfter < DateTime.Now ? CertHasExpired : CertNotYetValid;
        }

        if ((flags & X509ChainStatusFlags.PartialChain) != 0)
        {
            return UnableToGetIssuerLocally;
        }

        if ((flags & X509ChainStatusFlags.UntrustedRoot) != 0)
        {
            return depth == 0 && length == 1 ? DepthZeroSelfSigned : SelfSignedInChain;
        }

        if ((flags & X509ChainStatusFlags.InvalidBasicConstraints) != 0)
        {
            return InvalidCa;
        }

        if ((flags & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.CtlNotValidForUsage)) != 0)
        {
            return InvalidPurpose;
        }

        // Revocation is checked against `crl-file` here, not by the platform.
        if ((flags & ~(X509ChainStatusFlags.RevocationStatusUnknown | X509ChainStatusFlags.OfflineRevocation)) == 0)
        {
            return Ok;
        }

        return Unspecified;
    }
}
