using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.Protocols.Tls;

/// <summary>What <see cref="ClientHelloReader.TryRead"/> found at the start of a connection.</summary>
public enum ClientHelloStatus
{
    /// <summary>The bytes so far are the start of a TLS record holding a ClientHello; more are needed.</summary>
    NeedMoreData,
    /// <summary>A whole ClientHello was read.</summary>
    Complete,
    /// <summary>The bytes are not a TLS handshake record, or the ClientHello is malformed.</summary>
    NotClientHello,
}

/// <summary>
/// The facts of a ClientHello that rules route on without terminating TLS: `req.ssl_sni`, `req.ssl_alpn`,
/// `req.ssl_ver`, `req.ssl_hello_type`. Offsets point into the bytes given to the reader.
/// </summary>
public readonly struct ClientHelloInfo
{
    /// <summary>The record-layer version (`req.ssl_ver` reports it as HAProxy does: major &lt;&lt; 16 | minor).</summary>
    public int RecordVersion { get; init; }

    /// <summary>The legacy_version of the hello (0x0303 for TLS 1.2 and 1.3).</summary>
    public int HelloVersion { get; init; }

    /// <summary>The highest version in supported_versions, or 0 when the extension is absent.</summary>
    public int HighestSupportedVersion { get; init; }

    /// <summary>Offset and length of the first host_name in server_name; length 0 when absent.</summary>
    public (int Offset, int Length) ServerName { get; init; }

    /// <summary>Offset and length of the ALPN protocol_name_list (length-prefixed names); length 0 when absent.</summary>
    public (int Offset, int Length) AlpnList { get; init; }

    /// <summary>Offset and length of legacy_session_id (what a TLS 1.2 server echoes when it resumes).</summary>
    public (int Offset, int Length) SessionId { get; init; }
}

/// <summary>
/// Reads a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1) from the first bytes a client sent,
/// without copying, so a tcp-mode proxy can route on SNI and ALPN. Only the first record is read: a hello
/// split over several records is reported as <see cref="ClientHelloStatus.NotClientHello"/> once the first
/// record is complete and the hello is not, as HAProxy does.
/// </summary>
public static class ClientHelloReader
{
    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;
    private const ushort SupportedVersionsExtension = 43;

    public static ClientHelloStatus TryRead(ReadOnlySpan<byte> data, out ClientHelloInfo info)
    {
        info = default;
        if (data.Length >= 1 && data[0] != HandshakeRecord)
        {
            return ClientHelloStatus.NotClientHello;
        }

        if (data.Length >= 2 && data[1] != 3)
        {
            return ClientHelloStatus.NotClientHello;
        }

        if (data.Length < 5)
        {
            return ClientHelloStatus.NeedMoreData;
        }

        var recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        if (data.Length >= 6 && data[5] != ClientHelloType)
        {
            return ClientHelloStatus.NotClientHello;
        }

        if (data.Length < 5 + recordLength)
        {
            return ClientHelloStatus.NeedMoreData;
        }

        var record = data.Slice(5, recordLength);
        if (record.Length < 4)
        {
            return ClientHelloStatus.NotClientHello;
        }

        var helloLength = record[1] << 16 | record[2] << 8 | record[3];
        if (helloLength > record.Length - 4)
        {
            // The hello continues in a next record: not followed here.
            return ClientHelloStatus.NotClientHello;
        }

        var hello = new Cursor(record.Slice(4, helloLength), 9);
        if (!hello.TryReadUInt16(out var helloVersion)
            || !hello.TrySkip(32)
            || !hello.TryReadUInt8(out var sessionIdLength))
        {
            return ClientHelloStatus.NotClientHello;
        }

        var sessionId = (hello.Position, sessionIdLength);
        if (!hello.TrySkip(sessionIdLength)
            || !hello.TrySkipVector16()
            || !hello.TrySkipVector8())
        {
            return ClientHelloStatus.NotClientHello;
        }

        (int, int) serverName = default;
        (int, int) alpn = default;
        var highest = 0;
        if (hello.Remaining > 0)
        {
            if (!hello.TryReadUInt16(out var extensionsLength) || extensionsLength > hello.Remaining)
            {
                return ClientHelloStatus.NotClientHello;
            }

            var extensions = hello.Take(extensionsLength);
            while (extensions.Remaining > 0)
            {
                if (!extensions.TryReadUInt16(out var type) || !extensions.TryReadUInt16(out var length) || length > extensions.Remaining)
                {
                    return ClientHelloStatus.NotClientHello;
                }

                var body = extensions.Take(length);
                switch (type)
                {
                    case ServerNameExtension when serverName == default:
                        if (!ReadServerName(body, out serverName))
                        {
                            return ClientHelloStatus.NotClientHello;
                        }

                        break;
                    case AlpnExtension:
                        if (!body.TryReadUInt16(out var listLength) || listLength != body.Remaining)
                        {
                            return ClientHelloStatus.NotClientHello;
                        }

                        alpn = (body.Position, listLength);
                        break;
                    case SupportedVersionsExtension:
                        if (!body.TryReadUInt8(out var versionsLength) || versionsLength != body.Remaining || versionsLength % 2 != 0)
                        {
                            return ClientHelloStatus.NotClientHello;
                        }

                        while (body.TryReadUInt16(out var version))
                        {
                            // GREASE values (RFC 8701) end in 0x0a0a patterns and are not versions.
                            if ((version & 0x0f0f) != 0x0a0a && version > highest)
                            {
                                highest = version;
                            }
                        }

                        break;
                }
            }
        }

        info = new ClientHelloInfo
        {
            RecordVersion = data[1] << 16 | data[2],
            HelloVersion = helloVersion,
            HighestSupportedVersion = highest,
            ServerName = serverName,
            AlpnList = alpn,
            SessionId = sessionId,
        };
        return ClientHelloStatus.Complete;
    }

    /// <summary>Reads from a sequence (a pipe's buffered bytes), copying only when the hello spans segments.</summary>
    public static ClientHelloStatus TryRead(in ReadOnlySequence<byte> data, Span<byte> scratch, out ClientHelloInfo info, out ReadOnlySpan<byte> bytes)
    {
        if (data.IsSingleSegment)
        {
            bytes = data.FirstSpan;
        }
        else
        {
            var length = (int)Math.Min(data.Length, scratch.Length);
            data.Slice(0, length).CopyTo(scratch);
            bytes = scratch[..length];
        }

        return TryRead(bytes, out info);
    }

    /// <summary>The first host_name of a server_name_list (RFC 6066 §3).</summary>
    private static bool ReadServerName(Cursor body, out (int Offset, int Length) name)
    {
        name = default;
        if (!body.TryReadUInt16(out var listLength) || listLength != body.Remaining)
        {
            return false;
        }

        while (body.Remaining > 0)
        {
            if (!body.TryReadUInt8(out var nameType) || !body.TryReadUInt16(out var length) || length > body.Remaining)
            {
                return false;
            }

            if (nameType == 0 && name == default)
            {
                name = (body.Position, length);
            }

            body.TrySkip(length);
        }

        return true;
    }

    /// <summary>A bounds-checked reader over a part of the record; positions are offsets in the original bytes.</summary>
    internal ref struct Cursor(ReadOnlySpan<byte> span, int baseOffset)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _at;

        public readonly int Remaining => _span.Length - _at;

        public readonly int Position => baseOffset + _at;

        public bool TryReadUInt8(out int value)
        {
            value = 0;
            if (Remaining < 1)
            {
                return false;
            }

            value = _span[_at++];
            return true;
        }

        public bool TryReadUInt16(out int value)
        {
            value = 0;
            if (Remaining < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_span[_at..]);
            _at += 2;
            return true;
        }

        public bool TrySkip(int count)
        {
            if (count > Remaining)
            {
                return false;
            }

            _at += count;
            return true;
        }

        public bool TrySkipVector8() => TryReadUInt8(out var length) && TrySkip(length);

        public bool TrySkipVector16() => TryReadUInt16(out var length) && TrySkip(length);

        public Cursor Take(int count)
        {
            var taken = new Cursor(_span.Slice(_at, count), baseOffset + _at);
            _at += count;
            return taken;
        }
    }
}
