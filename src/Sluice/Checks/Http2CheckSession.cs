using System.Buffers;
using System.Globalization;
using System.Text;
using Sluice.Config.Model;
using Sluice.Protocols.Hpack;
using Sluice.Protocols.Http2;

namespace Sluice.Checks;

/// <summary>
/// An HTTP check over HTTP/2 (`proto h2` or `check-proto h2` on the server, or `h2` chosen by ALPN): the request
/// goes as stream 1 after the connection preface, as HAProxy's h2 mux sends it (`:method`, `:scheme`, `:path`, and
/// `:authority` from a `Host` field, which does not go itself); the answer is written back as HTTP/1-style text
/// (`HTTP/2.0 STATUS`, its fields, a blank line, the DATA bytes) so the expectations judge it as any other, with
/// the empty reason phrase HTTP/2 has. Checks are rare: this allocates freely.
/// </summary>
internal sealed class Http2CheckSession : IDisposable
{
    private const int StreamId = 1;

    private readonly Stream _stream;
    private readonly bool _tls;
    private readonly HpackDecoder _decoder = new();
    private readonly Http2Frame _frame = new();
    private readonly List<byte> _fieldBlock = [];
    private byte[] _input = new byte[Http2Protocol.MinMaxFrameSize + Http2Protocol.FrameHeaderLength];
    private int _inputLength;
    private byte[] _pending = [];
    private bool _ended;

    public Http2CheckSession(Stream stream, bool tls)
    {
        _stream = stream;
        _tls = tls;
    }

    /// <summary>The preface, our SETTINGS, and the request as stream 1 (HEADERS, then DATA for a body).</summary>
    public async Task SendAsync(HttpCheckRequest request, string? stateHeader, CancellationToken cancellation)
    {
        var output = new ArrayBufferWriter<byte>();
        output.Write(Http2Protocol.ClientPreface);
        Http2FrameWriter.WriteSettings(output, [new Http2Setting(Http2SettingsParameter.EnablePush, 0)]);

        var fields = new List<(string Name, string Value)>
        {
            (":method", request.Method),
            (":scheme", _tls ? "https" : "http"),
            (":path", request.Uri),
        };
        var headers = request.Headers.Where(h => !IsConnectionSpecific(h.Key)).ToList();
        if (headers.FirstOrDefault(h => h.Key.Equals("host", StringComparison.OrdinalIgnoreCase)) is { Key: not null } host)
        {
            fields.Add((":authority", host.Value));
        }

        foreach (var (name, value) in headers)
        {
            if (!name.Equals("host", StringComparison.OrdinalIgnoreCase))
            {
                fields.Add((name.ToLowerInvariant(), value));
            }
        }

        var body = request.Body is { Length: > 0 } text ? Encoding.Latin1.GetBytes(text) : [];
        if (body.Length > 0)
        {
            fields.Add(("content-length", body.Length.ToString(CultureInfo.InvariantCulture)));
        }

        if (stateHeader is not null)
        {
            fields.Add(("x-haproxy-server-state", stateHeader));
        }

        var block = EncodeFields(fields);
        Http2FrameWriter.WriteHeaders(output, StreamId, block, endStream: body.Length == 0, endHeaders: true);
        if (body.Length > 0)
        {
            Http2FrameWriter.WriteData(output, StreamId, body, endStream: true);
        }

        await _stream.WriteAsync(output.WrittenMemory, cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads frames until some of the answer can be written into <paramref name="destination"/>: its head once whole,
    /// then its DATA. Returns the bytes written and whether the answer ended (END_STREAM, a reset, a GOAWAY, the end of
    /// the connection, or a protocol error).
    /// </summary>
    public async Task<(int Written, bool Ended)> ReadAsync(Memory<byte> destination, CancellationToken cancellation)
    {
        while (true)
        {
            if (_pending.Length > 0)
            {
                var count = Math.Min(_pending.Length, destination.Length);
                _pending.AsSpan(0, count).CopyTo(destination.Span);
                _pending = _pending[count..];
                return (count, _ended && _pending.Length == 0);
            }

            if (_ended)
            {
                return (0, true);
            }

            var buffer = new ReadOnlySequence<byte>(_input, 0, _inputLength);
            if (Http2FrameReader.TryReadFrame(ref buffer, _frame, Http2Protocol.MinMaxFrameSize, out var error))
            {
                var consumed = _inputLength - (int)buffer.Length;
                if (error.Scope == Http2ErrorScope.Connection)
                {
                    _ended = true;
                    continue;
                }

                await HandleFrameAsync(cancellation).ConfigureAwait(false);
                Array.Copy(_input, consumed, _input, 0, _inputLength - consumed);
                _inputLength -= consumed;
                continue;
            }

            if (_inputLength == _input.Length)
            {
                Array.Resize(ref _input, _input.Length * 2);
            }

            var read = await _stream.ReadAsync(_input.AsMemory(_inputLength), cancellation).ConfigureAwait(false);
            if (read == 0)
            {
                _ended = true;
                continue;
            }

            _inputLength += read;
        }
    }

    private async ValueTask HandleFrameAsync(CancellationToken cancellation)
    {
        switch (_frame.Type)
        {
            case Http2FrameType.Settings when !_frame.IsAck:
                await WriteAsync(static output => Http2FrameWriter.WriteSettingsAck(output), cancellation).ConfigureAwait(false);
                break;
            case Http2FrameType.Ping when !_frame.IsAck:
                var data = _frame.PingData;
                await WriteAsync(output => Http2FrameWriter.WritePing(output, data, ack: true), cancellation).ConfigureAwait(false);
                break;
            case Http2FrameType.GoAway:
                _ended |= _frame.LastStreamId < StreamId || _frame.ErrorCode != Http2ErrorCode.NoError;
                break;
            case Http2FrameType.RstStream when _frame.StreamId == StreamId:
                _ended = true;
                break;
            case Http2FrameType.Headers or Http2FrameType.Continuation when _frame.StreamId == StreamId:
                _fieldBlock.AddRange(_frame.Content.ToArray());
                if (_frame.EndHeaders)
                {
                    AppendHead();
                    _fieldBlock.Clear();
                }

                _ended |= _frame.EndStream;
                break;
            case Http2FrameType.Data when _frame.StreamId == StreamId:
                _pending = [.. _pending, .. _frame.Content.ToArray()];
                _ended |= _frame.EndStream;
                break;
        }
    }

    /// <summary>A final head becomes `HTTP/2.0 STATUS` and its fields; an interim (1xx) one is dropped, as HAProxy's checks skip it.</summary>
    private void AppendHead()
    {
        var collector = new FieldCollector { Fields = [] };
        if (_decoder.Decode(_fieldBlock.ToArray().AsSpan(), endOfBlock: true, ref collector) != HpackDecodeStatus.Ok)
        {
            _ended = true;
            return;
        }

        var status = collector.Fields.FirstOrDefault(f => f.Name == ":status").Value;
        if (status is null || (status.Length == 3 && status[0] == '1'))
        {
            return;
        }

        var text = new StringBuilder().Append("HTTP/2.0 ").Append(status).Append("\r\n");
        foreach (var (name, value) in collector.Fields.Where(f => !f.Name.StartsWith(':')))
        {
            text.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        _pending = [.. _pending, .. Encoding.Latin1.GetBytes(text.Append("\r\n").ToString())];
    }

    private async ValueTask WriteAsync(Action<ArrayBufferWriter<byte>> write, CancellationToken cancellation)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        await _stream.WriteAsync(output.WrittenMemory, cancellation).ConfigureAwait(false);
    }

    private static byte[] EncodeFields(List<(string Name, string Value)> fields)
    {
        var encoder = new HpackEncoder();
        var block = new byte[fields.Sum(f => f.Name.Length + f.Value.Length + 16) + 16];
        encoder.TryBeginBlock(block, out var length);
        foreach (var (name, value) in fields)
        {
            encoder.TryEncode(Encoding.Latin1.GetBytes(name), Encoding.Latin1.GetBytes(value), block.AsSpan(length), out var written);
            length += written;
        }

        return block[..length];
    }

    /// <summary>Fields that have no place in HTTP/2 (RFC 9113 §8.2.2).</summary>
    private static bool IsConnectionSpecific(string name) =>
        name.Equals("connection", StringComparison.OrdinalIgnoreCase) || name.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
        || name.Equals("proxy-connection", StringComparison.OrdinalIgnoreCase) || name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase)
        || name.Equals("upgrade", StringComparison.OrdinalIgnoreCase);

    public void Dispose() => _decoder.Dispose();

    private struct FieldCollector : IHpackHeaderHandler
    {
        public List<(string Name, string Value)> Fields;

        public readonly void OnHeader(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, HpackFieldFlags flags) =>
            Fields.Add((Encoding.Latin1.GetString(name), Encoding.Latin1.GetString(value)));
    }
}
