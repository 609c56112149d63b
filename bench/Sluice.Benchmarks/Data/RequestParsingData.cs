using System.Text;

namespace Sluice.Benchmarks.Data;

/// <summary>Canned inputs shared by the HTTP/1 benchmarks.</summary>
internal static class RequestParsingData
{
    /// <summary>TechEmpower plaintext-style request.</summary>
    public static readonly byte[] Plaintext = Encoding.ASCII.GetBytes(
        "GET /plaintext HTTP/1.1\r\n"
        + "Host: localhost\r\n"
        + "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
        + "Connection: keep-alive\r\n"
        + "\r\n");

    /// <summary>A browser-like request with cookies.</summary>
    public static readonly byte[] Browser = Encoding.ASCII.GetBytes(
        "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
        + "Host: www.kittyhell.com\r\n"
        + "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
        + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
        + "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
        + "Accept-Encoding: gzip,deflate\r\n"
        + "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
        + "Keep-Alive: 115\r\n"
        + "Connection: keep-alive\r\n"
        + "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
        + "\r\n");

    /// <summary>A chunked body of 16 chunks of 1 KiB with one trailer.</summary>
    public static readonly byte[] ChunkedBody = BuildChunkedBody();

    private static byte[] BuildChunkedBody()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 16; i++)
        {
            sb.Append("400\r\n").Append('x', 1024).Append("\r\n");
        }

        sb.Append("0\r\nX-Checksum: 1\r\n\r\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
