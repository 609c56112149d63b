using System.Net;

namespace Sluice.Protocols.ProxyProtocol;

/// <summary>The command of a PROXY header: v1 headers are always <see cref="Proxy"/>.</summary>
public enum ProxyCommand
{
    /// <summary>The connection was made by the proxy itself (health checks): its own addresses stand.</summary>
    Local = 0,
    /// <summary>The connection is relayed for a client whose addresses the header carries.</summary>
    Proxy = 1,
}

/// <summary>The address family of a PROXY header (v2's high nibble of byte 14; v1's TCP4, TCP6, UNKNOWN).</summary>
public enum ProxyAddressFamily
{
    Unspecified = 0,
    Inet = 1,
    Inet6 = 2,
    Unix = 3,
}

/// <summary>The TLV types of PROXY protocol v2 (proxy-protocol.txt §2.2).</summary>
public static class ProxyTlvType
{
    public const byte Alpn = 0x01;
    public const byte Authority = 0x02;
    public const byte Crc32c = 0x03;
    public const byte Noop = 0x04;
    public const byte UniqueId = 0x05;
    public const byte Ssl = 0x20;
    public const byte SslVersion = 0x21;
    public const byte SslCommonName = 0x22;
    public const byte SslCipher = 0x23;
    public const byte SslSignatureAlgorithm = 0x24;
    public const byte SslKeyAlgorithm = 0x25;
    public const byte NetworkNamespace = 0x30;
}

/// <summary>The bits of the `client` byte of a PP2_TYPE_SSL TLV.</summary>
[Flags]
public enum ProxySslClientFlags : byte
{
    None = 0,
    /// <summary>The client connected over TLS.</summary>
    Ssl = 0x01,
    /// <summary>The client presented a certificate on this connection.</summary>
    CertificateOnConnection = 0x02,
    /// <summary>The client presented a certificate at least once in the TLS session this connection belongs to.</summary>
    CertificateInSession = 0x04,
}

/// <summary>One TLV of a v2 header, its value copied out of the received bytes.</summary>
public readonly record struct ProxyTlv(byte Type, byte[] Value);

/// <summary>
/// A PROXY protocol header (v1 or v2) as read from the start of a connection: the client's and the proxy's
/// addresses as the sender saw them, and for v2 its TLVs. One per connection.
/// </summary>
public sealed class ProxyHeader
{
    public int Version { get; init; }

    public ProxyCommand Command { get; init; }

    public ProxyAddressFamily Family { get; init; }

    /// <summary>The client's address; null for LOCAL, UNKNOWN, unspecified and unix headers.</summary>
    public IPEndPoint? Source { get; init; }

    /// <summary>The address the client connected to; null when <see cref="Source"/> is.</summary>
    public IPEndPoint? Destination { get; init; }

    /// <summary>The TLVs in the order received (the SSL TLV's sub-TLVs are in <see cref="SslTlvs"/>).</summary>
    public IReadOnlyList<ProxyTlv> Tlvs { get; init; } = [];

    /// <summary>The sub-TLVs of the PP2_TYPE_SSL TLV; empty without one.</summary>
    public IReadOnlyList<ProxyTlv> SslTlvs { get; init; } = [];

    /// <summary>The `client` byte of the SSL TLV; <see cref="ProxySslClientFlags.None"/> without one.</summary>
    public ProxySslClientFlags SslClient { get; init; }

    /// <summary>The `verify` field of the SSL TLV: 0 when the client's certificate was verified.</summary>
    public uint SslVerify { get; init; }

    /// <summary>True when an SSL TLV was present.</summary>
    public bool HasSsl { get; init; }

    /// <summary>True when the addresses stand for a relayed client (PROXY command with an IPv4 or IPv6 family).</summary>
    public bool HasAddresses => Source is not null && Destination is not null;

    /// <summary>The value of the first TLV of <paramref name="type"/>, among the top-level TLVs and then the SSL sub-TLVs.</summary>
    public byte[]? Find(byte type)
    {
        foreach (var tlv in Tlvs)
        {
            if (tlv.Type == type)
            {
                return tlv.Value;
            }
        }

        foreach (var tlv in SslTlvs)
        {
            if (tlv.Type == type)
            {
                return tlv.Value;
            }
        }

        return null;
    }
}
