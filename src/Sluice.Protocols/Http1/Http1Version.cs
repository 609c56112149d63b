namespace Sluice.Protocols.Http1;

/// <summary>HTTP-version of an HTTP/1.x start line (RFC 9112 §2.3).</summary>
public enum Http1Version
{
    /// <summary>Not parsed yet.</summary>
    Unknown = 0,

    /// <summary>HTTP/1.0.</summary>
    Http10 = 0x10,

    /// <summary>HTTP/1.1.</summary>
    Http11 = 0x11,
}

/// <summary>Form of a request-target (RFC 9112 §3.2).</summary>
public enum Http1TargetForm
{
    /// <summary>absolute-path [ "?" query ] (§3.2.1).</summary>
    Origin = 1,

    /// <summary>absolute-URI with an authority (§3.2.2).</summary>
    Absolute,

    /// <summary>uri-host ":" port, CONNECT only (§3.2.3).</summary>
    Authority,

    /// <summary>"*", OPTIONS only (§3.2.4).</summary>
    Asterisk,
}

/// <summary>Outcome of one call to a resumable HTTP/1.x parser.</summary>
public enum Http1ParseStatus
{
    /// <summary>The element is complete; the consumed position is just after it.</summary>
    Complete = 1,

    /// <summary>More input is needed; complete lines before the consumed position were delivered.</summary>
    NeedMoreData,

    /// <summary>The input is invalid; the reason and its offset are in the state. The connection must close.</summary>
    Rejected,
}
