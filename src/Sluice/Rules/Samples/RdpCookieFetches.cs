using System.Buffers;
using System.Text;
using Sluice.Protocols.Rdp;

namespace Sluice.Rules.Samples;

/// <summary>
/// `rdp_cookie([NAME])` and `rdp_cookie_cnt([NAME])` (also as `req.` and `req_` names): the cookie of an RDP
/// connection request waiting in a tcp frontend's buffer, any cookie without NAME. While the request is incomplete
/// and more data may come, the fetch says so (<see cref="SampleContext.NeedsMoreData"/>) so that the rule waits,
/// as HAProxy's SMP_F_MAY_CHANGE does.
/// </summary>
internal static class RdpCookieFetches
{
    /// <summary>HAProxy reads the cookie in one buffer; what lies beyond cannot hold it.</summary>
    private const int ScanLimit = 16384;

    public static void Register(Action<string, int, Func<SampleArguments, SampleFetch?>> add)
    {
        foreach (var name in (string[])["rdp_cookie", "req.rdp_cookie", "req_rdp_cookie"])
        {
            add(name, 1, a =>
            {
                var cookie = Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty);
                return new FunctionFetch(SampleType.Str, ctx => Value(ctx, cookie));
            });
        }

        foreach (var name in (string[])["rdp_cookie_cnt", "req.rdp_cookie_cnt", "req_rdp_cookie_cnt"])
        {
            add(name, 1, a =>
            {
                var cookie = Encoding.Latin1.GetBytes(a.String(0) ?? string.Empty);
                return new FunctionFetch(SampleType.Int, ctx => Count(ctx, cookie));
            });
        }
    }

    /// <summary>
    /// The room <see cref="TryFind"/> needs on the caller's stack for <paramref name="payload"/>: none for one segment,
    /// read in place, else a copy of up to one buffer.
    /// </summary>
    public static int ScratchLength(in ReadOnlySequence<byte> payload) => payload.IsSingleSegment ? 0 : (int)Math.Min(payload.Length, ScanLimit);

    /// <summary>The value of the cookie <paramref name="name"/> in <paramref name="payload"/>; false when it is not (yet) there.</summary>
    public static bool TryFind(ReadOnlySequence<byte> payload, ReadOnlySpan<byte> name, Span<byte> scratch, out RdpCookieStatus status, out ReadOnlySpan<byte> value)
    {
        value = default;
        ReadOnlySpan<byte> data;
        if (payload.IsSingleSegment)
        {
            data = payload.FirstSpan;
        }
        else
        {
            var length = (int)Math.Min(payload.Length, scratch.Length);
            payload.Slice(0, length).CopyTo(scratch);
            data = scratch[..length];
        }

        status = RdpCookieReader.TryRead(data, name, out var found);
        if (status != RdpCookieStatus.Found)
        {
            return false;
        }

        value = data.Slice(found.Offset, found.Length);
        return true;
    }

    private static Sample Value(SampleContext ctx, byte[] name)
    {
        var payload = ctx.RequestPayload;
        Span<byte> scratch = stackalloc byte[ScratchLength(payload)];
        if (!TryFind(payload, name, scratch, out var status, out var value))
        {
            ctx.NeedsMoreData |= status == RdpCookieStatus.NeedMoreData && !ctx.PayloadComplete;
            return default;
        }

        if (!ctx.TryReserve(value.Length, out var buffer, out var offset))
        {
            return default;
        }

        value.CopyTo(buffer.AsSpan(offset));
        return Sample.FromString(buffer, offset, value.Length);
    }

    /// <summary>1 with the cookie, 0 without; no value while the request is too short to tell (HAProxy's rdp_cookie_cnt).</summary>
    private static Sample Count(SampleContext ctx, byte[] name)
    {
        var payload = ctx.RequestPayload;
        Span<byte> scratch = stackalloc byte[ScratchLength(payload)];
        var found = TryFind(payload, name, scratch, out var status, out _);
        if (status == RdpCookieStatus.NeedMoreData)
        {
            ctx.NeedsMoreData |= !ctx.PayloadComplete;
            return default;
        }

        return Sample.FromInt(found ? 1 : 0);
    }
}
