using Sluice.Messages;

namespace Sluice.Logging;

/// <summary>
/// The sizes HAProxy counts in `%B` and `%U` for a message head: not its bytes on the wire but its size in
/// HAProxy's internal message (HTX), which is the same whatever the HTTP version: a start-line block (20 bytes
/// of fixed part plus its three words), each field's name and value, and one byte that ends the fields.
/// </summary>
internal static class LogSizes
{
    private const int StartLineFixed = 20;
    private const int EndOfHeaders = 1;

    /// <summary>The status line's version word, as HAProxy stores it for HTTP/1 and HTTP/2 responses alike.</summary>
    private const int VersionLength = 8;

    public static long Response(HttpResponseHead response) =>
        StartLineFixed + VersionLength + 3 + response.Reason.Length + response.Headers.ByteSize + Framing(response) + EndOfHeaders;

    public static long Request(HttpRequestHead request)
    {
        var uri = request.Target.Length;
        if (request.Version == HttpVersion.Http20 && !request.Scheme.IsEmpty && !request.Authority.IsEmpty)
        {
            uri += request.Scheme.Length + 3 + request.Authority.Length;
        }

        return StartLineFixed + request.MethodBytes.Length + uri + VersionLength + request.Headers.ByteSize + Framing(request) + EndOfHeaders;
    }

    /// <summary>
    /// The framing field the mux keeps apart from the other fields (`content-length`, or `transfer-encoding:
    /// chunked` of an HTTP/1 message), which HAProxy keeps among them.
    /// </summary>
    private static int Framing(HttpMessageHead head)
    {
        if (head.Has(HttpMessageFlags.ContentLengthKnown))
        {
            return head.Headers.Contains("content-length"u8) ? 0 : "content-length".Length + Digits(head.ContentLength);
        }

        if (head.HasBody && !head.Has(HttpMessageFlags.BodyUntilClose) && head.Version != HttpVersion.Http20
            && !head.Headers.Contains("transfer-encoding"u8))
        {
            return "transfer-encoding".Length + "chunked".Length;
        }

        return 0;
    }

    /// <summary>A reply of the proxy: its fields and the `content-length` the mux adds (its body is counted as it is sent).</summary>
    public static long Reply(HttpReply reply)
    {
        if (reply.Silent)
        {
            return 0;
        }

        var size = StartLineFixed + VersionLength + 3 + (reply.Reason?.Length ?? Mux.Http1.ReasonPhrases.For(reply.Status).Length) + EndOfHeaders;
        var headers = reply.Headers;
        for (var i = 0; i < headers.Count; i++)
        {
            size += headers[i].Name.Length + headers[i].Value.Length;
        }

        return size + "content-length".Length + Digits(reply.Body.Length);
    }

    private static int Digits(long value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }
}
