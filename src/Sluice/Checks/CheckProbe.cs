using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Sluice.Config.Model;
using Sluice.Protocols.ProxyProtocol;
using Sluice.Tls;
using Sluice.Transport;

namespace Sluice.Checks;

/// <summary>
/// Runs one check: the backend's rules in order on connections of its own. A connect step opens a connection
/// (closing the one before), a send writes, an expect reads until its rule can decide (`min-recv`, a match,
/// the end of the stream or a full buffer) and stops the check on a failure. An HTTP expect judges one
/// response (status line, headers, and the body for content rules). Timeouts are not handled here: the
/// checker cancels the token when a deadline passes; what was running then names the timeout (layer 4, 6 or 7).
/// </summary>
internal sealed class CheckProbe
{
    /// <summary>HAProxy reads a check's answer into one buffer (<c>tune.bufsize</c>).</summary>
    private const int MaxResponse = 16384;

    /// <summary>The rules of a plain connection check.</summary>
    private static readonly CheckRule[] ConnectOnly = [new CheckConnectRule { Default = true, Implicit = true }];

    private readonly Func<EndPoint> _endPoint;
    private readonly BackendCheckConfig _config;
    private readonly IReadOnlyList<CheckRule> _rules;
    private readonly byte[]?[] _requests;
    private readonly Regex?[] _regexes;
    private readonly Regex? _regex;
    private readonly TlsConnector? _tls;
    private readonly TlsConnector? _serverTls;
    private readonly Func<Socket, byte[]>? _proxyHeader;
    private readonly EndPoint? _socks4;
    private readonly SourceConfig? _source;
    private readonly SourcePortRange? _sourcePorts;

    /// <summary>
    /// A check's v1 PROXY header: the connection is the proxy's own, so it names the check connection's addresses,
    /// as haproxy 2.6 does (UNKNOWN when they are no TCP ones).
    /// </summary>
    public static byte[] ProxyHeaderV1(Socket socket) => ProxyHeaderWriter.WriteV1(SocketAddresses.Local(socket), SocketAddresses.Remote(socket));

    /// <param name="endPoint">Where each check connects, asked again for every check since the server's address may change at run time.</param>
    /// <param name="tls">The server's TLS side when checks speak TLS (`check-ssl`, or an `ssl` server checked on its own port).</param>
    /// <param name="proxyHeader">The PROXY header each check connection begins with, made from its socket; null for none.</param>
    /// <param name="serverTls">The server's TLS settings, for `connect ssl` steps.</param>
    /// <param name="source">The server's `source`: checks leave from it as the traffic does, ports of its range included.</param>
    /// <param name="socks4">The SOCKS4 proxy checks go through (`check-via-socks4`); null for direct checks.</param>
    public CheckProbe(Func<EndPoint> endPoint, BackendCheckConfig config, TlsConnector? tls = null, Func<Socket, byte[]>? proxyHeader = null, TlsConnector? serverTls = null, (SourceConfig Config, SourcePortRange? Ports)? source = null, EndPoint? socks4 = null)
    {
        _socks4 = socks4;
        _proxyHeader = proxyHeader;
        (_source, _sourcePorts) = source is var (sourceConfig, ports) ? (sourceConfig, ports) : (null, null);
        _endPoint = endPoint;
        _config = config;
        _tls = tls;
        _serverTls = serverTls ?? tls;
        _rules = config.Rules.Count > 0 ? config.Rules : ConnectOnly;
        _requests = new byte[]?[_rules.Count];
        _regexes = new Regex?[_rules.Count];
        for (var i = 0; i < _rules.Count; i++)
        {
            switch (_rules[i])
            {
                case CheckHttpSendRule send:
                    _requests[i] = BuildRequest(send.Request);
                    break;
                case CheckHttpExpectRule { Expect: { } expect }:
                    _regexes[i] = RegexOf(expect);
                    break;
                case CheckExpectRule { Kind: CheckExpectKind.RString or CheckExpectKind.RBinary } expect:
                    _regexes[i] = new Regex(expect.Pattern, RegexOptions.CultureInvariant);
                    break;
            }
        }

        _regex = config.Expect is { } single ? RegexOf(single) : null;
    }

    private static Regex? RegexOf(HttpCheckExpect expect) =>
        expect.Kind is HttpCheckExpectKind.RStatus or HttpCheckExpectKind.RString ? new Regex(expect.Pattern, RegexOptions.CultureInvariant) : null;

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

    /// <summary>`h2` when HTTP checks speak HTTP/2 (`check-proto`, else the server's `proto`); null lets ALPN choose.</summary>
    public string? Proto { get; init; }

    /// <summary>`http-check send-state`: the value of `x-haproxy-server-state` for the check being sent; null without it.</summary>
    public Func<string>? StateHeader { get; init; }

    /// <summary>The request with one more header after the others (HAProxy adds the state header last).</summary>
    private static byte[] WithHeader(byte[] request, string value)
    {
        var text = Encoding.Latin1.GetString(request);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var connection = text.IndexOf("\r\nconnection: close\r\n", StringComparison.Ordinal);
        var at = connection >= 0 && connection < end ? connection : end;
        return Encoding.Latin1.GetBytes(string.Concat(text.AsSpan(0, at + 2), "x-haproxy-server-state: ", value, text.AsSpan(at)));
    }

    /// <param name="onConnected">Called each time a connection is made, before anything is sent; the checker
    /// moves the deadline to the answer's there.</param>
    public async Task<CheckResult> RunAsync(Action onConnected, CancellationToken cancellation)
    {
        await using var run = new Run(this, cancellation);
        return await run.ExecuteAsync(onConnected).ConfigureAwait(false);
    }

    /// <summary>The state of one check: its connection, what was read, the rule being run.</summary>
    private sealed class Run(CheckProbe probe, CancellationToken cancellation) : IAsyncDisposable
    {
        private readonly byte[] _buffer = new byte[MaxResponse];
        private Socket? _socket;
        private int _sourcePort;
        private Stream? _stream;
        private Http2CheckSession? _http2;
        private bool _tls;
        private int _length;
        private bool _ended;
        private CheckRule _current = ConnectOnly[0];

        public async Task<CheckResult> ExecuteAsync(Action onConnected)
        {
            var rules = probe._rules;
            var mustRead = true;
            CheckResult? lastHttp = null;
            for (var i = 0; i < rules.Count; i++)
            {
                _current = rules[i];
                try
                {
                    switch (_current)
                    {
                        case CheckConnectRule connect:
                            if (await ConnectAsync(connect).ConfigureAwait(false) is { } failed)
                            {
                                return failed;
                            }

                            onConnected();
                            mustRead = true;
                            break;
                        case CheckSendRule send:
                            await WriteAsync(SendData(send)).ConfigureAwait(false);
                            (_length, _ended, mustRead) = (0, false, true);
                            break;
                        case CheckHttpSendRule httpSend:
                            if (_http2 is { } http2)
                            {
                                await http2.SendAsync(httpSend.Request, probe.StateHeader?.Invoke(), cancellation).ConfigureAwait(false);
                            }
                            else
                            {
                                await WriteAsync(probe.StateHeader is { } stateHeader ? WithHeader(probe._requests[i]!, stateHeader()) : probe._requests[i]!).ConfigureAwait(false);
                            }

                            (_length, _ended, mustRead) = (0, false, true);
                            break;
                        case CheckExpectRule expect:
                            if (mustRead)
                            {
                                await ReadAsync().ConfigureAwait(false);
                                mustRead = false;
                                if (_length == 0 && _ended)
                                {
                                    return new CheckResult(expect.ErrorStatus ?? CheckStatus.L7Response, Info: WithComment($"TCPCHK got an empty response at step {expect.Step}", expect, quoted: true));
                                }
                            }

                            while (true)
                            {
                                var (decided, result) = Expect(expect, i, last: _ended || _length == _buffer.Length);
                                if (!decided)
                                {
                                    await ReadAsync().ConfigureAwait(false);
                                    continue;
                                }

                                if (result is { } verdict && (!verdict.Passed || i == rules.Count - 1))
                                {
                                    return verdict;
                                }

                                break;
                            }

                            break;
                        case CheckHttpExpectRule http:
                            if (mustRead)
                            {
                                await ReadAsync().ConfigureAwait(false);
                                mustRead = false;
                            }

                            while (true)
                            {
                                var judged = Judge(_buffer.AsSpan(0, _length), _ended || _length == _buffer.Length, http.Expect, probe._regexes[i]);
                                if (judged is null)
                                {
                                    await ReadAsync().ConfigureAwait(false);
                                    continue;
                                }

                                if (!judged.Value.Passed)
                                {
                                    return judged.Value;
                                }

                                lastHttp = judged;
                                break;
                            }

                            break;
                    }
                }
                catch (OperationCanceledException)
                {
                    return TimedOut();
                }
                catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        return TimedOut();
                    }

                    var message = ex is IOException { InnerException: SocketException inner } ? inner.Message : ex.Message;
                    if (_current is CheckHttpExpectRule httpRule && _length > 0)
                    {
                        return Judge(_buffer.AsSpan(0, _length), complete: true, httpRule.Expect, probe._regexes[i])!.Value;
                    }

                    return new CheckResult(_current is CheckHttpExpectRule or CheckHttpSendRule ? CheckStatus.L7Response : CheckStatus.SocketError, Info: message + StepSuffix());
                }
            }

            return _current switch
            {
                CheckHttpExpectRule => lastHttp!.Value,
                CheckConnectRule connect => new CheckResult(_tls ? CheckStatus.L6Ok : CheckStatus.L4Ok, Info: connect.Implicit ? null : "(tcp-check)"),
                _ => new CheckResult(CheckStatus.L7Ok, Info: "(tcp-check)"),
            };
        }

        public ValueTask DisposeAsync() => CloseAsync();

        private async ValueTask CloseAsync()
        {
            _http2?.Dispose();
            _http2 = null;
            if (_stream is not null)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }

            _socket?.Dispose();
            (_stream, _socket) = (null, null);
            if (_sourcePort != 0)
            {
                probe._sourcePorts?.Return(_sourcePort);
                _sourcePort = 0;
            }
        }

        /// <summary>Opens the connection of a connect step; returns the failure, or null once connected.</summary>
        private async Task<CheckResult?> ConnectAsync(CheckConnectRule rule)
        {
            await CloseAsync().ConfigureAwait(false);
            (_length, _ended, _tls) = (0, false, false);
            var endPoint = probe._endPoint();
            if (endPoint is IPEndPoint ip && (rule.Port != 0 || rule.Address is not null))
            {
                endPoint = new IPEndPoint(rule.Address ?? ip.Address, rule.Port != 0 ? rule.Port : ip.Port);
            }

            // `check-via-socks4`: the check connects to the server's SOCKS4 proxy, which is asked for the check address.
            var socks4 = rule.Default ? probe._socks4 : null;
            var socket = ServerConnector.CreateSocket(socks4 ?? endPoint);
            _socket = socket;
            if (probe._source is { } source && ServerConnector.BindSource(socket, source, probe._sourcePorts, null, out _sourcePort) != ConnectError.None)
            {
                // HAProxy's SOCKERR: the seed 004 sign of a source running out of ports.
                return new CheckResult(CheckStatus.SocketError, Info: (probe._sourcePorts is { FreeCount: 0 } ? "Source port range exhausted" : "General socket error") + StepSuffix());
            }

            try
            {
                await socket.ConnectAsync(socks4 ?? endPoint, cancellation).ConfigureAwait(false);
                if (socks4 is not null && !await ServerConnector.ConnectThroughSocks4Async(socket, endPoint, cancellation).ConfigureAwait(false))
                {
                    // HAProxy's words for a proxy that did not grant the connection.
                    return new CheckResult(CheckStatus.SocketError, Info: "SOCKS4 Proxy deny the request" + StepSuffix());
                }
            }
            catch (OperationCanceledException)
            {
                return new CheckResult(CheckStatus.L4Timeout, Info: NullIfEmpty(StepSuffix()));
            }
            catch (SocketException ex) when (endPoint is UnixDomainSocketEndPoint && ex.SocketErrorCode == SocketError.AddressNotAvailable)
            {
                // .NET reports a missing socket file (ENOENT) so. HAProxy fails there before connecting, with its
                // generic socket error and the system's message.
                return new CheckResult(CheckStatus.SocketError, Info: "General socket error (No such file or directory)");
            }
            catch (SocketException ex)
            {
                return new CheckResult(CheckStatus.L4Connection, Info: ex.Message + StepSuffix());
            }

            var proxyHeader = rule.Default ? probe._proxyHeader?.Invoke(socket) : null;
            if (rule.SendProxy)
            {
                proxyHeader ??= ProxyHeaderV1(socket);
            }

            try
            {
                if (proxyHeader is not null)
                {
                    await socket.SendAsync(proxyHeader, SocketFlags.None, cancellation).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return new CheckResult(CheckStatus.L4Timeout, Info: NullIfEmpty(StepSuffix()));
            }
            catch (SocketException ex)
            {
                return new CheckResult(CheckStatus.L4Connection, Info: ex.Message + StepSuffix());
            }

            var tls = rule.Ssl ? probe._serverTls : rule.Default ? probe._tls : null;
            if (tls is null)
            {
                _stream = new NetworkStream(socket, ownsSocket: false);
                StartHttp2(alpn: null);
                return null;
            }

            // The handshake is bounded by the same deadline: cancelling closes the socket under it.
            using (cancellation.Register(socket.Dispose))
            {
                var (stream, info, failure) = await tls.AuthenticateAsync(socket).ConfigureAwait(false);
                if (stream is null)
                {
                    return cancellation.IsCancellationRequested ? new CheckResult(CheckStatus.L6Timeout) : new CheckResult(CheckStatus.L6Response, Info: failure?.Message);
                }

                _stream = stream;
                _tls = true;
                StartHttp2(info?.AlpnText);
            }

            return null;
        }

        /// <summary>HTTP checks speak HTTP/2 when `check-proto` or `proto` says `h2`, or, without them, when ALPN chose it.</summary>
        private void StartHttp2(string? alpn)
        {
            if (probe._config.Protocol == CheckProtocol.Http && (probe.Proto ?? alpn) == "h2")
            {
                _http2 = new Http2CheckSession(_stream!, _tls);
            }
        }

        private async Task WriteAsync(byte[] data) => await _stream!.WriteAsync(data, cancellation).ConfigureAwait(false);

        /// <summary>Reads once more into the buffer (nothing when it is full or the stream ended).</summary>
        private async Task ReadAsync()
        {
            if (_ended || _length == _buffer.Length)
            {
                _ended = true;
                return;
            }

            if (_http2 is { } http2)
            {
                var (written, ended) = await http2.ReadAsync(_buffer.AsMemory(_length), cancellation).ConfigureAwait(false);
                _length += written;
                _ended |= ended;
                return;
            }

            var read = await _stream!.ReadAsync(_buffer.AsMemory(_length), cancellation).ConfigureAwait(false);
            _length += read;
            _ended |= read == 0;
        }

        private static byte[] SendData(CheckSendRule send)
        {
            if (send.UnixTimeAt < 0)
            {
                return send.Data;
            }

            var data = (byte[])send.Data.Clone();
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(send.UnixTimeAt), (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            return data;
        }

        /// <summary>Judges what was read against an expect step: (false, _) to read more, (true, null) to go on, (true, result) to stop.</summary>
        private (bool Decided, CheckResult? Result) Expect(CheckExpectRule rule, int index, bool last)
        {
            var data = _buffer.AsSpan(0, _length);
            var verdict = CheckExpectations.Evaluate(rule, probe._regexes[index], data, last, probe._config.Protocol);
            if (verdict.Decision == ExpectDecision.Wait)
            {
                return (false, null);
            }

            if (verdict.Decision == ExpectDecision.Fail)
            {
                return (true, verdict.Result);
            }

            return (true, index == probe._rules.Count - 1 ? verdict.Result ?? CheckExpectations.Success(rule, data, probe._config.Protocol) : null);
        }

        /// <summary>What a deadline ends as: HAProxy's timeout status of the step that was running.</summary>
        private CheckResult TimedOut() => _current switch
        {
            CheckConnectRule when _socket is { Connected: false } => new CheckResult(CheckStatus.L4Timeout, Info: NullIfEmpty(StepSuffix())),
            CheckExpectRule expect => new CheckResult(expect.TimeoutStatus ?? CheckStatus.L7Timeout, Info: NullIfEmpty(StepSuffix())),
            _ => new CheckResult(CheckStatus.L7Timeout, Info: NullIfEmpty(StepSuffix())),
        };

        /// <summary>
        /// HAProxy's <c>chk_report_conn_err</c> names the step of a user's tcp-check ruleset that failed on a connection
        /// error or a timeout (" at step 2 of tcp-check (expect string 'x')"); other checks get no suffix.
        /// </summary>
        private string StepSuffix()
        {
            if (probe._config.Protocol != CheckProtocol.Tcp || probe._config.Rules.Count == 0)
            {
                return string.Empty;
            }

            if (_current.Step == 0)
            {
                return " at initial connection step of tcp-check";
            }

            var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $" at step {_current.Step} of tcp-check");
            text.Append(_current switch
            {
                CheckConnectRule { Port: > 0 } connect => $" (connect port {connect.Port})",
                CheckConnectRule => " (connect)",
                CheckSendRule => " (send)",
                CheckExpectRule { Kind: CheckExpectKind.String } expect => $" (expect string '{expect.Pattern}')",
                CheckExpectRule { Kind: CheckExpectKind.Binary } expect => $" (expect binary '{Encoding.Latin1.GetString(expect.Data)}')",
                CheckExpectRule { Kind: CheckExpectKind.RString } => " (expect regex)",
                CheckExpectRule { Kind: CheckExpectKind.RBinary } => " (expect binary regex)",
                CheckExpectRule => " (expect custom function)",
                _ => string.Empty,
            });
            return WithComment(text.ToString(), _current, quoted: true);
        }

        private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;
    }

    /// <summary>HAProxy appends a failing step's comment: quoted in connection messages, bare in expect ones.</summary>
    internal static string WithComment(string text, CheckRule rule, bool quoted) =>
        rule.Comment is null ? text : quoted ? $"{text} comment: '{rule.Comment}'" : $"{text} comment: {rule.Comment}";

    /// <summary>Judges an answer against the backend's single HTTP rule (see the overload).</summary>
    internal CheckResult? Judge(ReadOnlySpan<byte> received, bool complete) => Judge(received, complete, _config.Expect, _regex);

    /// <summary>
    /// Judges the answer received so far; null while more is needed. <paramref name="complete"/> means nothing
    /// more will come (end of stream or full buffer).
    /// </summary>
    internal static CheckResult? Judge(ReadOnlySpan<byte> received, bool complete, HttpCheckExpect? expect, Regex? regex)
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
                match = regex!.IsMatch(code.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                if (!complete && !BodyComplete(received, headEnd))
                {
                    return null;
                }

                var body = headEnd < 0 ? string.Empty : Encoding.Latin1.GetString(received[(headEnd + 4)..]);
                match = expect.Kind == HttpCheckExpectKind.String
                    ? body.Contains(expect.Pattern, StringComparison.Ordinal)
                    : regex!.IsMatch(body);
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
