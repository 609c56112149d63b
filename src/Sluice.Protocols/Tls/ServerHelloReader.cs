using System.Buffers.Binary;

namespace Sluice.Protocols.Tls;

/// <summary>What <see cref="ServerHelloReader.TryRead"/> found in a server's first flight.</summary>
public readonly struct ServerHelloInfo
{
    /// <summary>The version chosen: supported_versions' value (0x0304 for TLS 1.3), else legacy_version.</summary>
    public int Version { get; init; }

    /// <summary>Offset and length of legacy_session_id.</summary>
    public (int Offset, int Length) SessionId { get; init; }

    /// <summary>The server accepted a pre-shared key (RFC 8446 §4.2.11): a TLS 1.3 resumption.</summary>
    public bool HasPreSharedKey { get; init; }

    /// <summary>A HelloRetryRequest (RFC 8446 §4.1.3): the real ServerHello comes later.</summary>
    public bool IsHelloRetryRequest { get; init; }

    /// <summary>
    /// True when this ServerHello resumes a session: TLS 1.3 by an accepted pre_shared_key; TLS 1.2 and older by
    /// echoing the client's non-empty session ID (RFC 5246 §7.4.1.3, and RFC 5077 §3.4 for tickets).
    /// </summary>
    public bool Resumes(ReadOnlySpan<byte> serverBytes, ReadOnlySpan<byte> clientSessionId) => Version >= 0x0304
        ? HasPreSharedKey
        : SessionId.Length > 0 && serverBytes.Slice(SessionId.Offset, SessionId.Length).SequenceEqual(clientSessionId);
}

/// <summary>
/// Reads the ServerHello (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3) at the start of the bytes a TLS server writes
/// first, without copying. Only the first record is read; false when the bytes do not start with a complete
/// ServerHello.
/// </summary>
public static class ServerHelloReader
{
    private const byte HandshakeRecord = 22;
    private const byte ServerHelloType = 2;
    private const ushort PreSharedKeyExtension = 41;
    private const ushort SupportedVersionsExtension = 43;

    /// <summary>RFC 8446 §4.1.3: the Random of a HelloRetryRequest, SHA-256 of "HelloRetryRequest".</summary>
    private static ReadOnlySpan<byte> HelloRetryRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    public static bool TryRead(ReadOnlySpan<byte> data, out ServerHelloInfo info)
    {
        info = default;
        if (data.Length < 9 || data[0] != HandshakeRecord || data[5] != ServerHelloType)
        {
            return false;
        }

        var recordLength = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        if (data.Length < 5 + recordLength)
        {
            return false;
        }

        var record = data.Slice(5, recordLength);
        if (record.Length < 4)
        {
            return false;
        }

        var helloLength = record[1] << 16 | record[2] << 8 | record[3];
        if (helloLength > record.Length - 4)
        {
            return false;
        }

        // struct { ProtocolVersion legacy_version; Random random; opaque legacy_session_id_echo<0..32>;
        //          CipherSuite cipher_suite; uint8 legacy_compression_method; Extension extensions<6..2^16-1>; }
        var hello = new ClientHelloReader.Cursor(record.Slice(4, helloLength), 9);
        if (!hello.TryReadUInt16(out var version) || helloLength < 2 + 32)
        {
            return false;
        }

        var retry = record.Slice(4 + 2, 32).SequenceEqual(HelloRetryRandom);
        if (!hello.TrySkip(32) || !hello.TryReadUInt8(out var sessionIdLength))
        {
            return false;
        }

        var sessionId = (hello.Position, sessionIdLength);
        if (!hello.TrySkip(sessionIdLength) || !hello.TrySkip(3))
        {
            return false;
        }

        var preSharedKey = false;
        if (hello.Remaining > 0)
        {
            if (!hello.TryReadUInt16(out var extensionsLength) || extensionsLength > hello.Remaining)
            {
                return false;
            }

            var extensions = hello.Take(extensionsLength);
            while (extensions.Remaining > 0)
            {
                if (!extensions.TryReadUInt16(out var type) || !extensions.TryReadUInt16(out var length) || length > extensions.Remaining)
                {
                    return false;
                }

                var body = extensions.Take(length);
                if (type == SupportedVersionsExtension && body.TryReadUInt16(out var selected))
                {
                    version = selected;
                }
                else if (type == PreSharedKeyExtension)
                {
                    preSharedKey = true;
                }
            }
        }

        info = new ServerHelloInfo { Version = version, SessionId = sessionId, HasPreSharedKey = preSharedKey, IsHelloRetryRequest = retry };
        return true;
    }
}
