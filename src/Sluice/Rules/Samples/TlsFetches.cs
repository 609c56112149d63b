using System.Runtime.CompilerServices;
using System.Text;
using Sluice.Tls;

namespace Sluice.Rules.Samples;

/// <summary>
/// `ssl_fc*` and `ssl_c_*`: what the client connection's TLS handshake established, formatted as HAProxy
/// formats it (the connection record does the formatting). A value is encoded once per connection and kept
/// with it, so later requests of the connection read it without allocating.
/// </summary>
internal static class TlsFetches
{
    public static void Register(Dictionary<string, FetchDefinition> table)
    {
        void Text(string name, Func<TlsConnectionInfo, string?> read) =>
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0, _ => new CachedTlsFetch(SampleType.Str, ClientSide, info => Encode(read(info))));
        void Binary(string name, Func<TlsConnectionInfo, byte[]?> read) =>
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0, _ => new CachedTlsFetch(SampleType.Bin, ClientSide, read));
        void Number(string name, Func<TlsConnectionInfo, long> read) =>
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0,
                _ => new FunctionFetch(SampleType.Int, ctx => ctx.Tls is { } info ? Sample.FromInt(read(info)) : default));

        table["ssl_fc"] = new FetchDefinition("ssl_fc", SampleSources.Connection, 0,
            _ => new FunctionFetch(SampleType.Bool, ctx => Sample.FromBool(ctx.Tls is not null)));
        table["ssl_fc_is_resumed"] = new FetchDefinition("ssl_fc_is_resumed", SampleSources.Connection, 0,
            _ => new FunctionFetch(SampleType.Bool, ctx => ctx.Tls is { } info ? Sample.FromBool(info.IsResumed) : default));
        table["ssl_c_used"] = new FetchDefinition("ssl_c_used", SampleSources.Connection, 0,
            _ => new FunctionFetch(SampleType.Bool, ctx => Sample.FromBool(ctx.Tls?.ClientCertificateUsed == true)));
        Text("ssl_fc_sni", info => info.ServerName);
        Text("ssl_fc_alpn", info => info.AlpnText.Length == 0 ? null : info.AlpnText);
        Text("fc_alpn", info => info.AlpnText.Length == 0 ? null : info.AlpnText);
        Text("ssl_fc_protocol", info => info.ProtocolText);
        Text("ssl_fc_cipher", info => info.CipherText);
        Text("ssl_c_notbefore", info => info.ClientNotBefore);
        Text("ssl_c_notafter", info => info.ClientNotAfter);
        Binary("ssl_c_serial", info => info.ClientSerial);
        Binary("ssl_c_sha1", info => info.ClientSha1);
        Number("ssl_c_verify", info => info.VerifyResult);
        Number("ssl_c_err", info => info.LeafVerifyError);
        Number("ssl_c_ca_err", info => info.CaVerifyError);
        // A connection that reaches rules and logs completed its handshake: HAProxy's error codes are 0 there.
        Number("ssl_fc_err", _ => 0);
        table["fc_err"] = new FetchDefinition("fc_err", SampleSources.Connection, 0, _ => new FunctionFetch(SampleType.Int, _ => Sample.FromInt(0)));
        foreach (var (name, issuer) in new[] { ("ssl_c_s_dn", false), ("ssl_c_i_dn", true) })
        {
            table[name] = new FetchDefinition(name, SampleSources.Connection, 3, a =>
            {
                var entry = a.String(0) is { Length: > 0 } e ? e : null;
                var occurrence = (int)a.Integer(1, 1);
                var rfc2253 = a.String(2) switch
                {
                    null or "" => false,
                    "rfc2253" => true,
                    var other => Fail(a, other),
                };
                return new CachedTlsFetch(SampleType.Str, ClientSide, info =>
                    Encode(issuer ? info.ClientIssuer(entry, occurrence, rfc2253) : info.ClientSubject(entry, occurrence, rfc2253)));
            });
        }

        RegisterServerSide(table);
    }

    private static readonly Func<SampleContext, TlsConnectionInfo?> ClientSide = ctx => ctx.Tls;

    private static readonly Func<SampleContext, TlsConnectionInfo?> ServerSide = ctx => ctx.ServerTls;

    private static readonly byte[] Success = Encoding.Latin1.GetBytes(TlsServerFailure.ConnectionErrorText(0));

    /// <summary>
    /// `ssl_bc*` and `bc_err*`: the transaction's server connection, as HAProxy 2.6 gives them to rules after the
    /// connection and to the log line. After a failed handshake `ssl_bc_protocol` is the highest version offered and
    /// `ssl_bc_cipher` "(NONE)", what OpenSSL reports of a handshake that did not finish.
    /// </summary>
    private static void RegisterServerSide(Dictionary<string, FetchDefinition> table)
    {
        void Fetch(string name, SampleType type, Func<SampleContext, Sample> read) =>
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0, _ => new FunctionFetch(type, read));
        void Established(string name, Func<TlsConnectionInfo, string?> read, Func<TlsServerFailure, string>? failed = null)
        {
            var established = new CachedTlsFetch(SampleType.Str, ServerSide, info => Encode(read(info)));
            Fetch(name, SampleType.Str, ctx => ctx.ServerTlsFailure is { } failure && ctx.ServerTls is null
                ? failed is null ? default : Sample.FromString(Encoding.Latin1.GetBytes(failed(failure)))
                : established.Read(ctx));
        }

        Fetch("ssl_bc", SampleType.Bool, ctx => Sample.FromBool(ctx.ServerTls is not null || ctx.ServerTlsFailure is not null));
        Established("ssl_bc_protocol", info => info.ProtocolText, failure => failure.OfferedProtocol);
        Established("ssl_bc_cipher", info => info.CipherText, failure => failure.Cipher);
        Established("ssl_bc_alpn", info => info.AlpnText.Length == 0 ? null : info.AlpnText);
        Fetch("bc_err", SampleType.Int, ctx => HandshakeFailure(ctx) is { } failure
            ? Sample.FromInt(failure.ConnectionError)
            : ctx.ServerConnected ? Sample.FromInt(0) : default);
        Fetch("bc_err_str", SampleType.Str, ctx => HandshakeFailure(ctx) is { } failure
            ? Sample.FromString(Encoding.Latin1.GetBytes(TlsServerFailure.ConnectionErrorText(failure.ConnectionError)))
            : ctx.ServerConnected ? Sample.FromString(Success) : default);
        Fetch("ssl_bc_err", SampleType.Int, ctx => HandshakeFailure(ctx) is { } failure
            ? Sample.FromInt(failure.OpenSslError)
            : ctx.ServerTls is not null ? Sample.FromInt(0) : default);
        Fetch("ssl_bc_err_str", SampleType.Str, ctx => HandshakeFailure(ctx) is { OpenSslText: { } text }
            ? Sample.FromString(Encoding.Latin1.GetBytes(text))
            : default);
    }

    /// <summary>The failed handshake of the transaction's last server connection; null after a success or before a handshake.</summary>
    private static TlsServerFailure? HandshakeFailure(SampleContext ctx) =>
        ctx.ServerTls is null && ctx.ServerTlsFailure is { ConnectionError: not TlsServerFailure.NoHandshake } failure ? failure : null;

    private static bool Fail(SampleArguments arguments, string format)
    {
        arguments.Fail($"invalid arg 3 : only rfc2253 or a blank value are currently supported as the format argument, got '{format}'");
        return false;
    }

    private static byte[]? Encode(string? text) => text is null ? null : Encoding.Latin1.GetBytes(text);

    /// <summary>A TLS fact encoded once per connection record.</summary>
    private sealed class CachedTlsFetch : SingleValueFetch
    {
        private static readonly byte[] Missing = [];
        private readonly ConditionalWeakTable<TlsConnectionInfo, byte[]> _values = new();
        private readonly ConditionalWeakTable<TlsConnectionInfo, byte[]>.CreateValueCallback _create;
        private readonly SampleType _type;

        private readonly Func<SampleContext, TlsConnectionInfo?> _side;

        public CachedTlsFetch(SampleType type, Func<SampleContext, TlsConnectionInfo?> side, Func<TlsConnectionInfo, byte[]?> read)
        {
            _type = type;
            _side = side;
            _create = info => read(info) ?? Missing;
        }

        public override SampleType OutputType => _type;

        /// <summary>The value for a fetch that falls back on this one.</summary>
        public Sample Read(SampleContext ctx) => FetchOne(ctx);

        protected override Sample FetchOne(SampleContext ctx)
        {
            if (_side(ctx) is not { } info)
            {
                return default;
            }

            var value = _values.GetValue(info, _create);
            if (ReferenceEquals(value, Missing))
            {
                return default;
            }

            return _type == SampleType.Bin ? Sample.FromBinary(value, 0, value.Length) : Sample.FromString(value);
        }
    }
}
