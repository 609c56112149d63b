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
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0, _ => new CachedTlsFetch(SampleType.Str, info => Encode(read(info))));
        void Binary(string name, Func<TlsConnectionInfo, byte[]?> read) =>
            table[name] = new FetchDefinition(name, SampleSources.Connection, 0, _ => new CachedTlsFetch(SampleType.Bin, read));
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
                return new CachedTlsFetch(SampleType.Str, info =>
                    Encode(issuer ? info.ClientIssuer(entry, occurrence, rfc2253) : info.ClientSubject(entry, occurrence, rfc2253)));
            });
        }
    }

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

        public CachedTlsFetch(SampleType type, Func<TlsConnectionInfo, byte[]?> read)
        {
            _type = type;
            _create = info => read(info) ?? Missing;
        }

        public override SampleType OutputType => _type;

        protected override Sample FetchOne(SampleContext ctx)
        {
            if (ctx.Tls is not { } info)
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
