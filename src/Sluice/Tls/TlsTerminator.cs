using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Sluice.Config.Model;
using Sluice.Protocols.Tls;

namespace Sluice.Tls;

/// <summary>
/// The TLS side of one `bind ... ssl` line: its certificates with their SNI index, the protocol versions,
/// cipher suites, ALPN list and client-certificate policy, all turned into SslStream options once at load. Each
/// accepted connection runs <see cref="AuthenticateAsync"/>; the options picked by SNI are shared, so a
/// handshake allocates nothing of Sluice's beyond its stream and the record of what it established.
/// </summary>
internal sealed class TlsTerminator
{
    private const int MaxRecordLength = 5 + 16384;

    /// <summary>From this many files, loading a `crt DIR` ends with a collection (see <see cref="LoadCrt"/>).</summary>
    private const int LargeDirectory = 100;

    private readonly byte[][] _alpnNames;
    private long _handshakeFailures;

    private readonly TlsEntryPolicy _linePolicy;
    private readonly TlsVersions _versions;
    private readonly CipherSuitesPolicy? _ciphers;

    private TlsTerminator(TlsSettings settings, CertificateStore store, TlsEntryPolicy linePolicy, TlsVersions versions, CipherSuitesPolicy? ciphers)
    {
        Settings = settings;
        Store = store;
        _linePolicy = linePolicy;
        _versions = versions;
        _ciphers = ciphers;
        _alpnNames = settings.Alpn is { } names ? [.. names.Select(n => System.Text.Encoding.ASCII.GetBytes(n))] : [];
    }

    public TlsSettings Settings { get; }

    public CertificateStore Store { get; }

    /// <summary>Handshakes that failed (bad input, timeout, refused certificate, unknown name with `strict-sni`).</summary>
    public long HandshakeFailures => Interlocked.Read(ref _handshakeFailures);

    /// <summary>
    /// Loads what a bind line names. Problems are reported through <paramref name="lineAlert"/> (messages of the
    /// line, HAProxy's `parsing [file:line] : 'bind X' : ...`) and <paramref name="proxyAlert"/> (HAProxy's
    /// configuration check: `no SSL certificate specified`, `unable to set SSL cipher list`...); null when any.
    /// </summary>
    public static TlsTerminator? Create(TlsSettings settings, Action<string> lineAlert, Action<string> proxyAlert, Action<string> notSupported)
    {
        var ok = true;
        var store = new CertificateStore(settings.StrictSni);
        var loaded = new List<LoadedEntry>();
        foreach (var source in settings.Certificates)
        {
            ok &= source.IsList
                ? CrtList.Load(source.Path, settings, loaded, lineAlert, notSupported)
                : LoadCrt(source.Path, loaded, lineAlert);
        }

        if (!ok)
        {
            return null;
        }

        if (loaded.Count == 0)
        {
            proxyAlert("no SSL certificate specified");
            return null;
        }

        foreach (var entry in loaded)
        {
            // HAProxy staples a `.ocsp` response found beside a certificate. SslStream cannot be given a response
            // to staple (it fetches its own from the certificate's responder, which needs the network), so a
            // present file is refused rather than silently not stapled.
            if (File.Exists(entry.Certificate.Path + ".ocsp"))
            {
                notSupported($"'{entry.Certificate.Path}.ocsp' is present: OCSP stapling");
                return null;
            }
        }

        var versions = TlsVersionRange.Allowed(settings, server: false);
        if (versions == TlsVersions.None)
        {
            proxyAlert("all SSL/TLS versions are disabled");
            return null;
        }

        var ciphers = TlsCipherNames.BuildPolicy(settings.Ciphers, settings.CipherSuites, out var cipherError, out var unsupported);
        if (cipherError is not null)
        {
            if (unsupported)
            {
                notSupported($"cipher list '{cipherError}' : OpenSSL cipher-string keywords");
            }
            else
            {
                proxyAlert(ReferenceEquals(cipherError, settings.CipherSuites)
                    ? $"unable to set TLS 1.3 cipher suites to '{cipherError}'"
                    : $"unable to set SSL cipher list to '{cipherError}'");
            }

            return null;
        }

        var linePolicy = TlsEntryPolicy.Create(settings, versions, ciphers, lineAlert, proxyAlert);
        if (linePolicy is null)
        {
            return null;
        }

        var terminator = new TlsTerminator(settings, store, linePolicy, versions, ciphers);
        var entries = new List<CertificateEntry>(loaded.Count);
        foreach (var entry in loaded)
        {
            if (terminator.CreateEntry(entry, lineAlert, proxyAlert) is not { } created)
            {
                return null;
            }

            entries.Add(created);
        }

        store.AddRange(entries);
        return terminator;
    }

    /// <summary>
    /// The entry of a loaded certificate: the line's policy, or for a crt-list line with its own options a policy
    /// of its own (HAProxy's per-line SSL_CTX). Null when that policy's files do not load (reported).
    /// </summary>
    public CertificateEntry? CreateEntry(LoadedEntry entry, Action<string> lineAlert, Action<string> proxyAlert)
    {
        var policy = _linePolicy;
        if (entry.Options is { } options)
        {
            policy = TlsEntryPolicy.Create(options.Apply(Settings), _versions, _ciphers, m => lineAlert("'crt-list' : " + m), proxyAlert);
            if (policy is null)
            {
                return null;
            }
        }

        return new CertificateEntry(entry.Certificate, entry.Filters ?? entry.Certificate.Names, entry.Excluded, policy, entry.Line);
    }

    /// <summary>
    /// Runs the server handshake on an accepted socket. The caller bounds it (`timeout client-hs`) by closing the
    /// socket. Returns the stream and what was established, or null when the handshake failed (counted).
    /// </summary>
    /// <summary>HAProxy's words for a client that closed before its first byte of TLS (CO_ER_SSL_EMPTY).</summary>
    public const string ClosedDuringHandshake = "Connection closed during SSL handshake";

    /// <summary>HAProxy's words for any other failed handshake (CO_ER_SSL_HANDSHAKE).</summary>
    public const string HandshakeFailure = "SSL handshake failure";

    /// <summary>HAProxy's words for a client certificate refused for an error at depth 0 (CO_ER_SSL_CRT_FAIL).</summary>
    public const string ClientCertificateNotTrusted = "SSL client certificate not trusted";

    /// <summary>HAProxy's words for a client certificate refused for an error above it (CO_ER_SSL_CA_FAIL).</summary>
    public const string ClientCaChainNotVerified = "SSL client CA chain cannot be verified";

    /// <summary>The handshake with a client; on failure, why, in HAProxy's words.</summary>
    public async Task<(SslStream? Stream, TlsConnectionInfo? Info, string? Failure)> AuthenticateAsync(Socket socket)
    {
        var network = new NetworkStream(socket, ownsSocket: false);
        // RFC 8446 §5.1: a plaintext record carries at most 2^14 bytes, after its 5-byte header.
        var hello = ArrayPool<byte>.Shared.Rent(MaxRecordLength);
        var filled = 0;
        var alpnFallback = false;
        byte[]? sessionId = null;
        try
        {
            (filled, alpnFallback, sessionId) = await ReadClientHelloAsync(network, hello).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            filled = -1;
        }

        if (filled <= 0)
        {
            ArrayPool<byte>.Shared.Return(hello);
            await network.DisposeAsync().ConfigureAwait(false);
            Interlocked.Increment(ref _handshakeFailures);
            return (null, null, filled == 0 ? ClosedDuringHandshake : HandshakeFailure);
        }

        var replay = new ReplayStream(network, hello, filled, sessionId);
        var stream = new TlsServerStream(replay, this) { AlpnFallback = alpnFallback };
        try
        {
            await stream.AuthenticateAsServerAsync(SelectOptions, null, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException or NotSupportedException)
        {
            Interlocked.Increment(ref _handshakeFailures);
            await stream.DisposeAsync().ConfigureAwait(false);
            return (null, null, stream.Refusal ?? HandshakeFailure);
        }

        var client = stream.RemoteCertificate as X509Certificate2 ?? (stream.RemoteCertificate is { } other ? new X509Certificate2(other) : null);
        var info = new TlsConnectionInfo(stream.ServerName, stream.NegotiatedApplicationProtocol, stream.SslProtocol, stream.NegotiatedCipherSuite, client, stream.VerifyResult)
        {
            Entry = stream.Entry,
            Store = Store,
            IsResumed = replay.Resumed,
            LeafVerifyError = stream.LeafError,
            CaVerifyError = stream.CaError,
        };
        return (stream, info, null);
    }

    /// <summary>
    /// Reads the client's first record, to be replayed to the handshake, and looks at its ALPN offer: when it has
    /// none of this line's protocols, the handshake goes on without ALPN (HTTP/1), as HAProxy does, instead of
    /// SslStream's no_application_protocol alert (RFC 7301 §3.2 allows both). Returns the bytes read (0 at end of
    /// stream) and whether to fall back.
    /// </summary>
    private async Task<(int Filled, bool AlpnFallback, byte[]? SessionId)> ReadClientHelloAsync(NetworkStream network, byte[] buffer)
    {
        var filled = 0;
        while (true)
        {
            var status = ClientHelloReader.TryRead(buffer.AsSpan(0, filled), out var hello);
            if (status == ClientHelloStatus.Complete)
            {
                var offered = buffer.AsSpan(hello.AlpnList.Offset, hello.AlpnList.Length);
                // Allocates: at most 32 bytes, once per handshake, when the client proposes a session.
                var sessionId = hello.SessionId.Length == 0 ? null : buffer.AsSpan(hello.SessionId.Offset, hello.SessionId.Length).ToArray();
                return (filled, _alpnNames.Length > 0 && !offered.IsEmpty && !OffersOneOf(offered, _alpnNames), sessionId);
            }

            if (status == ClientHelloStatus.NotClientHello || filled == buffer.Length)
            {
                // Not TLS, or not readable here: the handshake itself decides (and fails for garbage).
                return (filled, false, null);
            }

            var read = await network.ReadAsync(buffer.AsMemory(filled, buffer.Length - filled)).ConfigureAwait(false);
            if (read == 0)
            {
                return (filled, false, null);
            }

            filled += read;
        }
    }

    /// <summary>True when a ProtocolNameList (RFC 7301 §3.1: names each after its length byte) holds one of <paramref name="ours"/>.</summary>
    private static bool OffersOneOf(ReadOnlySpan<byte> list, byte[][] ours)
    {
        while (list.Length > 0)
        {
            var length = list[0];
            if (length + 1 > list.Length)
            {
                return false;
            }

            foreach (var name in ours)
            {
                if (list.Slice(1, length).SequenceEqual(name))
                {
                    return true;
                }
            }

            list = list[(1 + length)..];
        }

        return false;
    }

    private static ValueTask<SslServerAuthenticationOptions> SelectOptions(SslStream stream, SslClientHelloInfo hello, object? state, CancellationToken cancellationToken)
    {
        var tls = (TlsServerStream)stream;
        tls.ServerName = string.IsNullOrEmpty(hello.ServerName) ? null : hello.ServerName;
        var entry = tls.Terminator.Store.Select(tls.ServerName);
        if (entry is null)
        {
            // `strict-sni`: no certificate for this name, the handshake is refused.
            throw new AuthenticationException("no certificate matches the server name");
        }

        tls.Entry = entry;
        return ValueTask.FromResult(entry.Options(withoutAlpn: tls.AlpnFallback));
    }

    internal static bool ValidateClient(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var tls = (TlsServerStream)sender;
        var presented = certificate as X509Certificate2 ?? (certificate is null ? null : new X509Certificate2(certificate));
        var accepted = tls.Entry!.Policy.Verifier!.Verify(presented, chain, out var result, out var leafError, out var caError, out var refusedAboveLeaf);
        tls.VerifyResult = result;
        tls.LeafError = leafError;
        tls.CaError = caError;
        if (!accepted && presented is not null)
        {
            // A missing certificate under `verify required` stays a plain handshake failure, as in HAProxy.
            tls.Refusal = refusedAboveLeaf ? ClientCaChainNotVerified : ClientCertificateNotTrusted;
        }

        return accepted;
    }

    private static bool LoadCrt(string path, List<LoadedEntry> loaded, Action<string> lineAlert)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.GetFiles(path);
            Array.Sort(files, StringComparer.Ordinal);
            files = Array.FindAll(files, f => !PemCertificateFile.IsReservedName(Path.GetFileName(f)));

            // Parsing keys is the cost of a large directory: files load in parallel, and are then taken in order.
            var results = new LoadedCertificate?[files.Length];
            var errors = new string?[files.Length];
            Parallel.For(0, files.Length, i => results[i] = PemCertificateFile.Load(files[i], out errors[i]));
            for (var i = 0; i < files.Length; i++)
            {
                if (results[i] is not { } certificate)
                {
                    // HAProxy stops at the first file of a directory that does not load.
                    lineAlert(errors[i]!);
                    return false;
                }

                loaded.Add(new LoadedEntry(certificate, null));
            }

            if (files.Length >= LargeDirectory)
            {
                // Reading thousands of files leaves megabytes of texts behind, which an idle process would keep
                // resident until its first collection: give them back now, once per load.
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            }

            return true;
        }

        var single = PemCertificateFile.Load(path, out var error);
        if (single is null)
        {
            lineAlert(error!);
            return false;
        }

        loaded.Add(new LoadedEntry(single, null));
        return true;
    }

    internal static bool LoadFile(CrtListLine line, List<LoadedEntry> loaded, Action<string> lineAlert)
    {
        var certificate = PemCertificateFile.Load(line.File, out var error);
        if (certificate is null)
        {
            lineAlert(error!);
            return false;
        }

        loaded.Add(new LoadedEntry(certificate, line));
        return true;
    }


    /// <summary>The server stream with the little a handshake learns through callbacks.</summary>
    private sealed class TlsServerStream : SslStream
    {
        public TlsServerStream(Stream inner, TlsTerminator terminator)
            : base(inner, leaveInnerStreamOpen: false)
        {
            Terminator = terminator;
        }

        public TlsTerminator Terminator { get; }

        public string? ServerName { get; set; }

        public int VerifyResult { get; set; }

        public int LeafError { get; set; }

        public int CaError { get; set; }

        /// <summary>Why the client's certificate was refused, in HAProxy's words; null when it was not.</summary>
        public string? Refusal { get; set; }

        /// <summary>The certificate the client's SNI picked, with its client-certificate policy.</summary>
        public CertificateEntry? Entry { get; set; }

        /// <summary>The client offered ALPN but none of the line's protocols.</summary>
        public bool AlpnFallback { get; init; }
    }
}
