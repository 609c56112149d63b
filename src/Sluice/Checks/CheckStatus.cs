namespace Sluice.Checks;

/// <summary>The outcome of one check, as HAProxy's <c>HCHK_STATUS_*</c> codes (the ones Sluice produces).</summary>
internal enum CheckStatus
{
    /// <summary>The socket could not be set up (e.g. a unix socket path that does not exist).</summary>
    SocketError,
    /// <summary>The connection was accepted and nothing more was asked.</summary>
    L4Ok,
    /// <summary>No connection within the timeout.</summary>
    L4Timeout,
    /// <summary>The connection failed: refused, reset, unreachable.</summary>
    L4Connection,
    /// <summary>`check-ssl`: the TLS handshake succeeded and nothing more was asked.</summary>
    L6Ok,
    /// <summary>`check-ssl`: no TLS handshake within the timeout.</summary>
    L6Timeout,
    /// <summary>`check-ssl`: the TLS handshake failed.</summary>
    L6Response,
    /// <summary>No (whole) answer within the timeout.</summary>
    L7Timeout,
    /// <summary>An answer that is not HTTP, or that a content rule rejected.</summary>
    L7Response,
    /// <summary>A valid HTTP answer that passed.</summary>
    L7Ok,
    /// <summary>A valid HTTP answer whose status is not the expected one.</summary>
    L7Status,
    /// <summary>`observe`: errors seen in the traffic counted as a failed check.</summary>
    HealthAnalyze,
    /// <summary>`http-check disable-on-404`: a 404, which passes but asks for the soft stop.</summary>
    L7OkConditional,
}

/// <summary>
/// One check's result: its status, the HTTP code when there is one, the detail HAProxy calls "info", and how long
/// it took (negative when no check ran, as for `observe`, whose messages have no duration).
/// </summary>
internal readonly record struct CheckResult(CheckStatus Status, int Code = 0, string? Info = null, long DurationMs = 0)
{
    public bool Passed => Status is CheckStatus.L4Ok or CheckStatus.L6Ok or CheckStatus.L7Ok or CheckStatus.L7OkConditional;

    /// <summary>HAProxy's description of the status (<c>get_check_status_description</c>).</summary>
    public string Description => Status switch
    {
        CheckStatus.SocketError => "Socket error",
        CheckStatus.L4Ok => "Layer4 check passed",
        CheckStatus.L4Timeout => "Layer4 timeout",
        CheckStatus.L4Connection => "Layer4 connection problem",
        CheckStatus.L6Ok => "Layer6 check passed",
        CheckStatus.L6Timeout => "Layer6 timeout",
        CheckStatus.L6Response => "Layer6 invalid response",
        CheckStatus.L7Timeout => "Layer7 timeout",
        CheckStatus.L7Response => "Layer7 invalid response",
        CheckStatus.L7Ok => "Layer7 check passed",
        CheckStatus.HealthAnalyze => "Health analyze",
        CheckStatus.L7OkConditional => "Layer7 check conditionally passed",
        _ => "Layer7 wrong status",
    };

    /// <summary>HAProxy prints the code for the statuses that carry data (L7OK, L7STS), not for L7RSP or timeouts.</summary>
    public bool HasCode => Status is CheckStatus.L7Ok or CheckStatus.L7Status or CheckStatus.L7OkConditional;
}
