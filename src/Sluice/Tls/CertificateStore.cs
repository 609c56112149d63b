using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;

namespace Sluice.Tls;

/// <summary>
/// One certificate of a bind line and the names it answers for. Its SslStream context (leaf and chain, sent whole)
/// and the server options of handshakes that pick it are built on its first handshake, once: building them costs
/// milliseconds per certificate, which a directory of thousands would otherwise spend at start-up.
/// </summary>
internal sealed class CertificateEntry
{
    private readonly bool _mayResume;
    private Ready? _ready;

    public CertificateEntry(LoadedCertificate certificate, IReadOnlyList<string> names, IReadOnlySet<string> excluded, TlsEntryPolicy policy, CrtListLine? line = null, object? slot = null)
    {
        Certificate = certificate;
        Names = names;
        Excluded = excluded;
        Policy = policy;
        Line = line;
        Slot = slot ?? new object();
        _mayResume = policy.MayResume(certificate.RawData.Span);
    }

    /// <summary>
    /// The place this entry fills in its bind line, kept when `commit ssl cert` replaces the certificate: a
    /// connection made before the change still belongs to the same vhost (see <see cref="TlsConnectionInfo.IsMisdirected"/>).
    /// </summary>
    public object Slot { get; }

    /// <summary>The crt-list line that loaded it; null for `crt`.</summary>
    public CrtListLine? Line { get; }

    /// <summary>
    /// The same entry with another certificate (`commit ssl cert`): names from a crt-list filter stay, names
    /// taken from the certificate are taken from the new one.
    /// </summary>
    public CertificateEntry WithCertificate(LoadedCertificate certificate) =>
        new(certificate, Line?.Filters ?? certificate.Names, Excluded, Policy, Line, Slot);

    public LoadedCertificate Certificate { get; }

    /// <summary>The options and client-certificate policy of the line (bind or crt-list) that loaded it.</summary>
    public TlsEntryPolicy Policy { get; }

    /// <summary>Lower-case names (`*.example.com` for wildcards): the crt-list filters, or else the CN and DNS SANs.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Names a crt-list line excluded with `!name`.</summary>
    public IReadOnlySet<string> Excluded { get; }

    /// <summary>The options of a handshake that picked this certificate; the same instance for every handshake.</summary>
    public SslServerAuthenticationOptions Options(bool withoutAlpn)
    {
        var ready = Volatile.Read(ref _ready) ?? Prepare();
        return withoutAlpn ? ready.WithoutAlpn : ready.Full;
    }

    private Ready Prepare()
    {
        // Two handshakes may race here; both build, one wins, the other's copy is dropped.
        SslStreamCertificateContext context;
        try
        {
            context = SslStreamCertificateContext.Create(Certificate.WithPrivateKey(), Certificate.Chain, offline: true);
        }
        catch (CryptographicException ex)
        {
            // The key's public half matched the certificate at load, but the key itself does not import.
            throw new AuthenticationException(ex.Message, ex);
        }

        var template = Policy.Template;
        var withoutAlpn = Policy.TemplateWithoutAlpn;
        var ready = new Ready(
            WithContext(template, context, allowResume: _mayResume),
            ReferenceEquals(template, withoutAlpn) ? null : WithContext(withoutAlpn, context, allowResume: _mayResume));
        return Interlocked.CompareExchange(ref _ready, ready, null) ?? ready;
    }

    /// <summary>A copy of <paramref name="template"/> with another certificate context or without ALPN.</summary>
    internal static SslServerAuthenticationOptions WithContext(SslServerAuthenticationOptions template, SslStreamCertificateContext? context, bool keepAlpn = true, bool allowResume = true) => new()
    {
        ServerCertificateContext = context,
        ApplicationProtocols = keepAlpn ? template.ApplicationProtocols : null,
        EnabledSslProtocols = template.EnabledSslProtocols,
        CipherSuitesPolicy = template.CipherSuitesPolicy,
        ClientCertificateRequired = template.ClientCertificateRequired,
        RemoteCertificateValidationCallback = template.RemoteCertificateValidationCallback,
        CertificateRevocationCheckMode = template.CertificateRevocationCheckMode,
        AllowRenegotiation = template.AllowRenegotiation,
        AllowTlsResume = template.AllowTlsResume && allowResume,
    };

    private sealed class Ready
    {
        public Ready(SslServerAuthenticationOptions full, SslServerAuthenticationOptions? withoutAlpn)
        {
            Full = full;
            WithoutAlpn = withoutAlpn ?? full;
        }

        public SslServerAuthenticationOptions Full { get; }

        public SslServerAuthenticationOptions WithoutAlpn { get; }
    }
}

/// <summary>
/// The certificates of one bind line with their SNI index, built at load (HAProxy's SNI trees). A lookup
/// costs one or two hash probes whatever the number of certificates: the exact name, then the wildcard
/// `*.rest` for the name without its first label (RFC 6125 §6.4.3: a wildcard covers one label only). A name that
/// matches nothing gets the first certificate, the default, unless `strict-sni` is set. The runtime API changes
/// the certificates (`commit ssl cert`, `add/del ssl crt-list`): each change builds a new index and publishes it
/// at once, so handshakes read an index without locks and never see half a change.
/// </summary>
internal sealed class CertificateStore
{
    private readonly Lock _changes = new();
    private SniIndex _index = new([]);

    public CertificateStore(bool strictSni)
    {
        StrictSni = strictSni;
    }

    public bool StrictSni { get; }

    public IReadOnlyList<CertificateEntry> Entries => Volatile.Read(ref _index).Entries;

    /// <summary>The first certificate loaded: the answer to clients without SNI or with an unknown name.</summary>
    public CertificateEntry? Default => Entries is [var first, ..] ? first : null;

    /// <summary>Adds certificates after those present; the first one given for a name keeps it, as HAProxy's first certificate does.</summary>
    public void AddRange(IEnumerable<CertificateEntry> entries)
    {
        lock (_changes)
        {
            Volatile.Write(ref _index, new SniIndex([.. _index.Entries, .. entries]));
        }
    }

    public void Add(CertificateEntry entry) => AddRange([entry]);

    /// <summary>Puts <paramref name="replacement"/> in the place of <paramref name="entry"/>; false when it is not here.</summary>
    public bool Replace(CertificateEntry entry, CertificateEntry replacement)
    {
        lock (_changes)
        {
            var entries = _index.Entries.ToArray();
            var at = Array.IndexOf(entries, entry);
            if (at < 0)
            {
                return false;
            }

            entries[at] = replacement;
            Volatile.Write(ref _index, new SniIndex(entries));
            return true;
        }
    }

    public bool Remove(CertificateEntry entry)
    {
        lock (_changes)
        {
            var entries = _index.Entries.ToList();
            if (!entries.Remove(entry))
            {
                return false;
            }

            Volatile.Write(ref _index, new SniIndex(entries));
            return true;
        }
    }

    /// <summary>
    /// The certificate for a client's SNI: exact name, then wildcard, then the default; null when nothing fits
    /// (no certificate, or `strict-sni` and no match).
    /// </summary>
    public CertificateEntry? Select(string? serverName)
    {
        var index = Volatile.Read(ref _index);
        var fallback = StrictSni ? null : index.Entries is [var first, ..] ? first : null;
        if (string.IsNullOrEmpty(serverName))
        {
            return fallback;
        }

        return index.Match(serverName) ?? fallback;
    }

    /// <summary>The certificate whose names (exact, then wildcard) match <paramref name="serverName"/>; null when none does.</summary>
    public CertificateEntry? Match(ReadOnlySpan<char> serverName) => Volatile.Read(ref _index).Match(serverName);

    /// <summary>An immutable SNI index over a list of entries.</summary>
    private sealed class SniIndex
    {
        private readonly Dictionary<string, CertificateEntry> _exact = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<CertificateEntry>> _wildcards = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, CertificateEntry>.AlternateLookup<ReadOnlySpan<char>> _exactBySpan;
        private readonly Dictionary<string, List<CertificateEntry>>.AlternateLookup<ReadOnlySpan<char>> _wildcardsBySpan;

        public SniIndex(IReadOnlyList<CertificateEntry> entries)
        {
            Entries = entries;
            _exactBySpan = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
            _wildcardsBySpan = _wildcards.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (var entry in entries)
            {
                foreach (var name in entry.Names)
                {
                    if (name.StartsWith("*.", StringComparison.Ordinal))
                    {
                        var suffix = name[2..];
                        if (!_wildcards.TryGetValue(suffix, out var list))
                        {
                            list = [];
                            _wildcards[suffix] = list;
                        }

                        list.Add(entry);
                    }
                    else
                    {
                        _exact.TryAdd(name, entry);
                    }
                }
            }
        }

        public IReadOnlyList<CertificateEntry> Entries { get; }

        public CertificateEntry? Match(ReadOnlySpan<char> serverName)
        {
            var name = serverName.TrimEnd('.');
            if (_exactBySpan.TryGetValue(name, out var exact))
            {
                return exact;
            }

            var dot = name.IndexOf('.');
            if (dot > 0 && _wildcardsBySpan.TryGetValue(name[(dot + 1)..], out var candidates))
            {
                foreach (var candidate in candidates)
                {
                    if (candidate.Excluded.Count == 0 || !IsExcluded(candidate, name))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }
    }

    private static bool IsExcluded(CertificateEntry entry, ReadOnlySpan<char> name)
    {
        foreach (var excluded in entry.Excluded)
        {
            if (name.Equals(excluded, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
