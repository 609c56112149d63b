using System.Net.Security;

namespace Sluice.Tls;

/// <summary>
/// OpenSSL's cipher names, which HAProxy configurations use (`ciphers ECDHE-RSA-AES128-GCM-SHA256:...`) and
/// `ssl_fc_cipher` returns, beside .NET's IANA-named <see cref="TlsCipherSuite"/>. TLS 1.3 suites have the same
/// name in both.
/// </summary>
internal static class TlsCipherNames
{
    private static readonly (string OpenSsl, TlsCipherSuite Suite)[] Tls12Suites =
    [
        ("ECDHE-ECDSA-AES128-GCM-SHA256", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
        ("ECDHE-RSA-AES128-GCM-SHA256", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
        ("ECDHE-ECDSA-AES256-GCM-SHA384", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
        ("ECDHE-RSA-AES256-GCM-SHA384", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
        ("ECDHE-ECDSA-CHACHA20-POLY1305", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
        ("ECDHE-RSA-CHACHA20-POLY1305", TlsCipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ("DHE-RSA-AES128-GCM-SHA256", TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256),
        ("DHE-RSA-AES256-GCM-SHA384", TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_GCM_SHA384),
        ("DHE-RSA-CHACHA20-POLY1305", TlsCipherSuite.TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
        ("ECDHE-ECDSA-AES128-SHA256", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256),
        ("ECDHE-RSA-AES128-SHA256", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256),
        ("ECDHE-ECDSA-AES256-SHA384", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384),
        ("ECDHE-RSA-AES256-SHA384", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384),
        ("ECDHE-ECDSA-AES128-SHA", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA),
        ("ECDHE-RSA-AES128-SHA", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA),
        ("ECDHE-ECDSA-AES256-SHA", TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA),
        ("ECDHE-RSA-AES256-SHA", TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA),
        ("DHE-RSA-AES128-SHA256", TlsCipherSuite.TLS_DHE_RSA_WITH_AES_128_CBC_SHA256),
        ("DHE-RSA-AES256-SHA256", TlsCipherSuite.TLS_DHE_RSA_WITH_AES_256_CBC_SHA256),
        ("AES128-GCM-SHA256", TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256),
        ("AES256-GCM-SHA384", TlsCipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384),
        ("AES128-SHA256", TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256),
        ("AES256-SHA256", TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256),
        ("AES128-SHA", TlsCipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA),
        ("AES256-SHA", TlsCipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA),
    ];

    /// <summary>OpenSSL's default TLS 1.3 suites, in its order.</summary>
    private static readonly TlsCipherSuite[] Tls13Defaults =
    [
        TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, TlsCipherSuite.TLS_AES_128_GCM_SHA256,
    ];

    private static readonly TlsCipherSuite[] Tls13Suites =
    [
        TlsCipherSuite.TLS_AES_128_GCM_SHA256, TlsCipherSuite.TLS_AES_256_GCM_SHA384, TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256,
        TlsCipherSuite.TLS_AES_128_CCM_SHA256, TlsCipherSuite.TLS_AES_128_CCM_8_SHA256,
    ];

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "DEFAULT", "COMPLEMENTOFDEFAULT", "ALL", "COMPLEMENTOFALL", "HIGH", "MEDIUM", "LOW", "eNULL", "NULL", "aNULL",
        "kRSA", "aRSA", "RSA", "kDHE", "kEDH", "DH", "DHE", "EDH", "ADH", "kEECDH", "kECDHE", "ECDH", "ECDHE", "EECDH",
        "AECDH", "aECDSA", "ECDSA", "TLSv1.2", "TLSv1", "SSLv3", "AES", "AES128", "AES256", "AESGCM", "AESCCM",
        "CHACHA20", "SHA1", "SHA", "SHA256", "SHA384", "PSK", "SUITEB128", "SUITEB192",
    };

    /// <summary>OpenSSL's name of a negotiated suite, as `ssl_fc_cipher` renders it.</summary>
    public static string OpenSslName(TlsCipherSuite suite)
    {
        foreach (var (name, known) in Tls12Suites)
        {
            if (known == suite)
            {
                return name;
            }
        }

        return suite.ToString();
    }

    /// <summary>
    /// The policy for `ciphers` (TLS 1.2 and older) and `ciphersuites` (TLS 1.3); null when neither is set, which
    /// leaves OpenSSL's defaults. <paramref name="error"/> names the list that selects nothing (HAProxy's alert) or
    /// that uses what cannot be mapped (cipher-string keywords such as `HIGH`).
    /// </summary>
    public static CipherSuitesPolicy? BuildPolicy(string? ciphers, string? cipherSuites, out string? error, out bool unsupported)
    {
        error = null;
        unsupported = false;
        if (ciphers is null && cipherSuites is null)
        {
            return null;
        }

        var suites = new List<TlsCipherSuite>();
        if (cipherSuites is null)
        {
            suites.AddRange(Tls13Defaults);
        }
        else if (!AddNamed(cipherSuites, suites, tls13: true, ref unsupported))
        {
            error = cipherSuites;
            return null;
        }

        var before = suites.Count;
        if (ciphers is null)
        {
            foreach (var (_, suite) in Tls12Suites)
            {
                suites.Add(suite);
            }
        }
        else if (!AddNamed(ciphers, suites, tls13: false, ref unsupported) || suites.Count == before)
        {
            error = ciphers;
            return null;
        }

        // Sluice runs on Linux, where OpenSSL honours the policy; Windows' SChannel does not take one.
        return OperatingSystem.IsWindows() ? null : new CipherSuitesPolicy(suites);
    }

    /// <summary>Adds the suites a list names; false when it names none, or uses a keyword that cannot be mapped.</summary>
    private static bool AddNamed(string list, List<TlsCipherSuite> suites, bool tls13, ref bool unsupported)
    {
        var added = false;
        foreach (var token in list.Split([':', ',', ' '], StringSplitOptions.RemoveEmptyEntries))
        {
            // Removals only matter against keywords, which are refused below: with explicit names they change nothing.
            if (token[0] is '!' or '-')
            {
                continue;
            }

            var found = false;
            if (tls13)
            {
                foreach (var suite in Tls13Suites)
                {
                    if (string.Equals(suite.ToString(), token, StringComparison.Ordinal))
                    {
                        suites.Add(suite);
                        found = true;
                    }
                }
            }
            else
            {
                foreach (var (name, suite) in Tls12Suites)
                {
                    if (string.Equals(name, token, StringComparison.Ordinal))
                    {
                        suites.Add(suite);
                        found = true;
                    }
                }

                // OpenSSL's cipher-string keywords (`HIGH`, `DEFAULT`, `ECDHE+AESGCM`, `@SECLEVEL=1`) depend on the
                // OpenSSL build, and SslStream takes explicit suites only. Other unknown names are skipped, as OpenSSL does.
                if (!found && (token[0] is '+' or '@' || token.Contains('+', StringComparison.Ordinal) || Keywords.Contains(token)))
                {
                    unsupported = true;
                    return false;
                }
            }

            added |= found;
        }

        return added;
    }
}
