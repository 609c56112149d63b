using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Config.Model;
using Sluice.Tls;
using Sluice.Transport;

namespace Sluice.Checks;

/// <summary>
/// Runs one check on its own connection: connect (a TCP check ends there), then for an HTTP check send the
/// request, read the status line and headers (and the body, up to a buffer, when a string rule needs it) and
/// judge the answer. Timeouts are not handled here: the checker cancels the token when a deadline passes; a
/// cancelled connect is a layer 4 timeout, a cancelled read a layer 7 one.
/// </summary>
internal sealed class CheckProbe
{
    /// <summary>HAProxy reads a check's answer into one buffer (<c>tune.bufsize</c>).</summary>
    private const int MaxResponse = 16384;

    private readonly EndPoint _endPoint;
    private readonly BackendCheckConfig _config;
    private readonly byte[]? _request;
    private readonly Regex? _regex;
    private readonly TlsConnector? _tls;
    private readonly byte[]? _proxyHeader;

    /// <param name="tls">The server's TLS side when checks speak TLS (`check-ssl`, or an `ssl` server checked on its own port).</param>
    /// <param name="proxyHeader">The PROXY header each check connection begins with; null for none.</param>
    public CheckProbe(EndPoint endPoint, BackendCheckConfig config, TlsConnector? tls = null, byte[]? proxyHeader = null)
    {
        _proxyHeader = proxyHeader;
        _endPoint = endPoint;
        _config = config;
        _tls = tls;
        if (config.Kind == HealthCheckKind.Http)
        {
            _request = BuildRequest(config.Request);
            if (config.Expect is { Kind: HttpCheckExpectKind.RStatus or HttpCheckExpectKind.RString } expect)
            {
                _regex = new Regex(expect.Pattern, RegexOptions.CultureInvariant);
            }
        }
    }

    /// <summary>The request an HTTP check sends, as HAProxy 2.6 writes it: lower-case header names, and
    /// <c>connection: close</c> in HTTP/1.1.</summary>
    internal static byte[] BuildRequest(HttpCheckRequest request)
    {
        var text = new StringBuilder();
        text.Append(request.Method).Append(' ').Append(request.Uri).Append(' ').Append(request.Version).Append("\r\n");
        var hasConnection = false;
        foreach (var (name, value) in request.Headers)
        {
            hasConnection |= name.Equals("connection", StringComparison.OrdinalIgnoreCase);
            text.Append(name.ToLowerInvariant()).Append(": ").Append(value).Append("\r\n");
        }

        if (request.Body is { Length: > 0 } body)
        {
            text.Append("content-length: ").Append(Encoding.Latin1.GetByteCount(body).ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        if (!hasConnection && request.Version.Equals("HTTP/1.1", StringComparison.OrdinalIgnoreCase))
        {
            text.Append("connection: close\r\n");
        }

        text.Append("\r\n").Append(request.Body);
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    /// <param name="onConnected">Called once the connection is made, before the request is sent; the checker
    /// moves the deadline to the answer's there.</param>
    public async Task<CheckResult> RunAsync(Action onConnected, CancellationToken cancellation)
    {
        using var socket = ServerConnector.CreateSocket(_endPoint);
        try
        {
            await socket.ConnectAsync(_endPoint, cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return new CheckResult(CheckStatus.L4Timeout);
        }
        catch (SocketException ex) when (_endPoint is UnixDomainSocketEndPoint && ex.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            // .NET reports a missing socket file (ENOENT) so. HAProxy fails there before connecting, with its
            // generic socket error and the system's message.
            return new CheckResult(CheckStatus.SocketError, Info: "General socket error (No such file or directory)");
        }
        catch (SocketException ex)
        {
            return new CheckResult(CheckStatus.L4Connection, Info: ex.Message);
        }

        if (_proxyHeader is not null)
        {
            try
            {
                await socket.SendAsync(_proxyHeader, SocketFlags.None, cancellation).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return new CheckResult(CheckStatus.L4Timeout);
            }
            catch (SocketException ex)
            {
                return new CheckResult(CheckStatus.L4Connection, Info: ex.Message);
            }
        }

        Stream? tls = null;
        if (_tls is not null)
        {
            // The handshake is bounded by the same deadline: cancelling closes the socket under it.
            using (cancellation.Register(socket.Dispose))
            {
                var (stream, _, error) = await _tls.AuthenticateAsync(socket).ConfigureAwait(false);
                if (stream is null)
                {
                    return cancellation.IsCancellationRequested ? new CheckResult(CheckStatus.L6Timeout) : new CheckResult(CheckStatus.L6Response, Info: error);
                }

                tls = stream;
            }
        }

        await using var _ = tls;
        if (_request is null)
        {
            return new CheckResult(tls is null ? CheckStatus.L4Ok : CheckStatus.L6Ok);
        }

        onConnected();
        var buffer = new byte[MaxResponse];
        var length = 0;
        try
        {
            if (tls is not null)
            {
                await tls.WriteAsync(_request, cancellation).ConfigureAwait(false);
            }
            else
            {
                await socket.SendAsync(_request, SocketFlags.None, cancellation).ConfigureAwait(false);
            }

            while (true)
            {
                var read = length >= buffer.Length ? 0
                    : tls is not null ? await tls.ReadAsync(buffer.AsMemory(length), cancellation).ConfigureAwait(false)
                    : await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellation).ConfigureAwait(false);
                length += read;
                if (Judge(buffer.AsSpan(0, length), complete: read == 0) is { } result)
                {
                    return result;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return new CheckResult(CheckStatus.L7Timeout);
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            return length == 0 ? new CheckResult(CheckStatus.L7Response, Info: ex.Message) : Judge(buffer.AsSpan(0, length), complete: true)!.Value;
        }
    }

    /// <summary>
    /// Judges the answer received so far; null while more is needed. <paramref name="complete"/> means nothing
    /// more will come (end of stream or full buffer).
    /// </summary>
    internal CheckResult? Judge(ReadOnlySpan<byte> received, bool complete)
    {
        var lineEnd = received.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return complete ? new CheckResult(CheckStatus.L7Response) : null;
        }

        var line = received[..lineEnd];
        if (!line.StartsWith("HTTP/"u8) || line.Length < 12 || line[8] != (byte)' ' || !IsDigits(line.Slice(9, 3)) || (line.Length > 12 && line[12] != (byte)' '))
        {
            return new CheckResult(CheckStatus.L7Response);
        }

        var headEnd = received.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0 && !complete)
        {
            return null;
        }

        var code = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        var reason = line.Length > 13 ? Encoding.Latin1.GetString(line[13..]) : string.Empty;
        var expect = _config.Expect;
        if (expect is null)
        {
            return code is >= 200 and < 400
                ? new CheckResult(CheckStatus.L7Ok, code, reason)
                : new CheckResult(CheckStatus.L7Status, code, reason);
        }

        bool match;
        switch (expect.Kind)
        {
            case HttpCheckExpectKind.Status:
                match = false;
                foreach (var (first, last) in expect.Codes)
                {
                    match |= code >= first && code <= last;
                }

                break;
            case HttpCheckExpectKind.RStatus:
                match = _regex!.IsMatch(code.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                if (!complete && !BodyComplete(received, headEnd))
                {
                    return null;
                }

                var body = headEnd < 0 ? string.Empty : Encoding.Latin1.GetString(received[(headEnd + 4)..]);
                match = expect.Kind == HttpCheckExpectKind.String
                    ? body.Contains(expect.Pattern, StringComparison.Ordinal)
                    : _regex!.IsMatch(body);
                if (match == expect.Negated)
                {
                    return new CheckResult(CheckStatus.L7Response, code, "HTTP content check did not match");
                }

                return new CheckResult(CheckStatus.L7Ok, code, reason);
        }

        return match != expect.Negated
            ? new CheckResult(CheckStatus.L7Ok, code, reason)
            : new CheckResult(CheckStatus.L7Status, code, reason);
    }

    /// <summary>True when the body announced by Content-Length has been received (false without one: read to the end).</summary>
    private static bool BodyComplete(ReadOnlySpan<byte> received, int headEnd)
    {
        var head = Encoding.Latin1.GetString(received[..headEnd]);
        foreach (var headerLine in head.Split("\r\n"))
        {
            var colon = headerLine.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && headerLine.AsSpan(0, colon).Trim().Equals("content-length", StringComparison.OrdinalIgnoreCase)
                && long.TryParse(headerLine.AsSpan(colon + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                return received.Length - (headEnd + 4) >= length;
            }
        }

        return false;
    }

    private static bool IsDigits(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
        }

        return true;
    }
}
