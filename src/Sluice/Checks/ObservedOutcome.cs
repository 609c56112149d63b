namespace Sluice.Checks;

/// <summary>
/// What the traffic to a server showed, for `observe` (HAProxy's HANA_STATUS_*): a connection made or failed, an
/// HTTP answer good or bad. <see cref="ObservedOutcomes"/> says which ones count for each `observe` mode.
/// </summary>
internal enum ObservedOutcome
{
    /// <summary>A connection to the server was made.</summary>
    ConnectionMade = 0,
    /// <summary>A connection to the server failed.</summary>
    ConnectionFailed = 1,
    /// <summary>A response with a status below 500, or 501 or 505.</summary>
    GoodResponse = 2,
    /// <summary>A response with any other 5xx status.</summary>
    WrongStatus = 3,
    /// <summary>A response head that is not valid HTTP.</summary>
    InvalidResponse = 4,
    /// <summary>No response within `timeout server`.</summary>
    ReadTimeout = 5,
    /// <summary>The server closed the connection before its response.</summary>
    ClosedByServer = 6,
}

internal static class ObservedOutcomes
{
    /// <summary>True for an error, false for a success that clears the count, null for an outcome the mode ignores.</summary>
    public static bool? IsError(this ObservedOutcome outcome, Config.Model.ObserveMode mode) => outcome switch
    {
        ObservedOutcome.ConnectionFailed => true,
        ObservedOutcome.ConnectionMade => mode == Config.Model.ObserveMode.Layer4 ? false : null,
        ObservedOutcome.GoodResponse => mode == Config.Model.ObserveMode.Layer7 ? false : null,
        _ => mode == Config.Model.ObserveMode.Layer7 ? true : null,
    };

    /// <summary>HAProxy's words for the last error, in "Detected N consecutive errors, last one was: ...".</summary>
    public static string Description(this ObservedOutcome outcome) => outcome switch
    {
        ObservedOutcome.ConnectionMade => "L4 successful connection",
        ObservedOutcome.ConnectionFailed => "L4 unsuccessful connection",
        ObservedOutcome.GoodResponse => "Correct http response",
        ObservedOutcome.WrongStatus => "Wrong http response",
        ObservedOutcome.InvalidResponse => "Invalid http response (headers)",
        ObservedOutcome.ReadTimeout => "Read timeout (http)",
        _ => "Close from server (http)",
    };

    /// <summary>HAProxy's split of response statuses for `observe layer7`.</summary>
    public static ObservedOutcome ForStatus(int status) =>
        status is >= 100 and < 500 or 501 or 505 ? ObservedOutcome.GoodResponse : ObservedOutcome.WrongStatus;
}
