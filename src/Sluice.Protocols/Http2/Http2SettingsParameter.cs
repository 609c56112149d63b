namespace Sluice.Protocols.Http2;

/// <summary>SETTINGS parameters (RFC 9113 §6.5.2, RFC 8441 §3, RFC 9218 §2.1). Unknown identifiers must be ignored.</summary>
public enum Http2SettingsParameter : ushort
{
    /// <summary>Maximum HPACK dynamic table size the sender's decoder allows; initial 4096.</summary>
    HeaderTableSize = 0x1,

    /// <summary>0 or 1: whether server push is allowed; initial 1.</summary>
    EnablePush = 0x2,

    /// <summary>Maximum number of concurrent streams the sender allows; initially unlimited.</summary>
    MaxConcurrentStreams = 0x3,

    /// <summary>Initial stream flow-control window, at most 2^31-1; initial 65535.</summary>
    InitialWindowSize = 0x4,

    /// <summary>Largest frame payload the sender accepts, 16384 to 16777215; initial 16384.</summary>
    MaxFrameSize = 0x5,

    /// <summary>Advisory maximum field section size the sender accepts; initially unlimited.</summary>
    MaxHeaderListSize = 0x6,

    /// <summary>RFC 8441: 0 or 1, extended CONNECT (websockets over HTTP/2).</summary>
    EnableConnectProtocol = 0x8,

    /// <summary>RFC 9218: 0 or 1, the RFC 7540 priority scheme is not used.</summary>
    NoRfc7540Priorities = 0x9,
}
