namespace Sluice.Transactions;

/// <summary>A client connection in flight, as the host sees it to stop it.</summary>
internal interface ISession
{
    /// <summary>Soft stop: finish what is in progress, take nothing new.</summary>
    void RequestStop();

    /// <summary>Hard stop: end now, logged `K`.</summary>
    void Kill();
}
