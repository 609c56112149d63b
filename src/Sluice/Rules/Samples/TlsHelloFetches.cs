using System.Buffers;
using Sluice.Protocols.Tls;

namespace Sluice.Rules.Samples;

/// <summary>
/// `req.ssl_sni`, `req.ssl_alpn`, `req.ssl_ver`, `req.ssl_hello_type`: facts of a ClientHello waiting in the
/// request buffer of a tcp frontend, read without terminating TLS. While the hello is incomplete and more data
/// may come, the fetch says so (<see cref="SampleContext.NeedsMoreData"/>) so that the rule waits.
/// </summary>
internal static class TlsHelloFetches
{
    public static void Register(Action<string, SampleType, Func<SampleContext, Sample>> add)
    {
        add("req.ssl_sni", SampleType.Str, ctx => Read(ctx, static (info, bytes, c) => Copy(c, bytes, info.ServerName)));
        add("req_ssl_sni", SampleType.Str, ctx => Read(ctx, static (info, bytes, c) => Copy(c, bytes, info.ServerName)));
        add("req.ssl_alpn", SampleType.Str, ctx => Read(ctx, static (info, bytes, c) => FirstAlpn(c, bytes, info.AlpnList)));
        add("req.ssl_ver", SampleType.Int, ctx => Read(ctx, static (info, _, _) => Sample.FromInt(Version(info))));
        add("req_ssl_ver", SampleType.Int, ctx => Read(ctx, static (info, _, _) => Sample.FromInt(Version(info))));
        add("req.ssl_hello_type", SampleType.Int, ctx => Read(ctx, static (_, _, _) => Sample.FromInt(1)));
        add("req_ssl_hello_type", SampleType.Int, ctx => Read(ctx, static (_, _, _) => Sample.FromInt(1)));
    }

    private delegate Sample HelloReader(ClientHelloInfo info, ReadOnlySpan<byte> bytes, SampleContext ctx);

    private static Sample Read(SampleContext ctx, HelloReader read)
    {
        var payload = ctx.RequestPayload;
        if (payload.IsEmpty)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        Span<byte> scratch = stackalloc byte[payload.IsSingleSegment ? 0 : (int)Math.Min(payload.Length, 16384)];
        var status = ClientHelloReader.TryRead(payload, scratch, out var info, out var bytes);
        if (status == ClientHelloStatus.NeedMoreData)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        return status == ClientHelloStatus.Complete ? read(info, bytes, ctx) : default;
    }

    /// <summary>HAProxy reports the version as major &lt;&lt; 16 | minor: the highest supported one when the hello lists them.</summary>
    private static long Version(ClientHelloInfo info)
    {
        var version = info.HighestSupportedVersion != 0 ? info.HighestSupportedVersion : info.HelloVersion;
        return (version >> 8) << 16 | (version & 0xff);
    }

    private static Sample Copy(SampleContext ctx, ReadOnlySpan<byte> bytes, (int Offset, int Length) part)
    {
        if (part.Length == 0 || !ctx.TryReserve(part.Length, out var buffer, out var offset))
        {
            return default;
        }

        bytes.Slice(part.Offset, part.Length).CopyTo(buffer.AsSpan(offset));
        return Sample.FromString(buffer, offset, part.Length);
    }

    /// <summary>The first protocol of the ALPN list, as `req.ssl_alpn` returns it.</summary>
    private static Sample FirstAlpn(SampleContext ctx, ReadOnlySpan<byte> bytes, (int Offset, int Length) list)
    {
        if (list.Length < 2)
        {
            return default;
        }

        var length = bytes[list.Offset];
        return length == 0 || length > list.Length - 1 ? default : Copy(ctx, bytes, (list.Offset + 1, length));
    }
}
