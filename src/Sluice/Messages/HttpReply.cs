using System.Text;

namespace Sluice.Messages;

/// <summary>
/// A whole response made by the proxy itself: HAProxy's built-in error pages, `errorfile` contents, and
/// `http-request return`. Built once when the configuration loads and shared by every transaction; its bytes
/// are encoded once so that sending it allocates nothing.
/// </summary>
internal sealed class HttpReply
{
    public HttpReply(int status, string? reason, IReadOnlyList<KeyValuePair<string, string>> headers, byte[] body)
    {
        Status = status;
        Reason = reason is null ? null : Encoding.Latin1.GetBytes(reason);
        var encoded = new (byte[] Name, byte[] Value)[headers.Count];
        for (var i = 0; i < encoded.Length; i++)
        {
            encoded[i] = (Encoding.Latin1.GetBytes(headers[i].Key), Encoding.Latin1.GetBytes(headers[i].Value));
        }

        Headers = encoded;
        Body = body;
    }

    public int Status { get; }

    /// <summary>The reason phrase; null for the standard one.</summary>
    public byte[]? Reason { get; }

    /// <summary>Fields other than `Content-Length` and `Connection`, which the mux writes itself.</summary>
    public IReadOnlyList<(byte[] Name, byte[] Value)> Headers { get; }

    public byte[] Body { get; }
}
