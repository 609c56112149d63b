using Sluice.Stats;

namespace Sluice.Tests.Stats;

public class StatFieldTests
{
    [Fact]
    public void Names_HaproxyOrder()
    {
        Assert.Equal(StatField.Count, StatField.Names.Length);
        Assert.Equal("pxname", StatField.Names[StatField.Pxname]);
        Assert.Equal("svname", StatField.Names[StatField.Svname]);
        Assert.Equal("hrsp_2xx", StatField.Names[40]);
        Assert.Equal("req_tot", StatField.Names[48]);
        Assert.Equal("-", StatField.Names[StatField.ModuleSeparator]);
        Assert.StartsWith("# pxname,svname,qcur,qmax,scur,smax,slim,stot,", StatsCsv.Header, StringComparison.Ordinal);
        Assert.EndsWith(",h1_spliced_bytes_out,", StatsCsv.Header, StringComparison.Ordinal);
    }

    [Fact]
    public void TypedPosition_ModuleColumnsSkipMarker()
    {
        Assert.Equal(StatField.Scur, StatField.TypedPosition(StatField.Scur));
        Assert.Equal(StatField.ModuleSeparator, StatField.TypedPosition(StatField.SslSess));
    }

    [Fact]
    public void Tags_KeyColumnsTaggedForEveryKind()
    {
        foreach (var tags in new[] { StatField.FrontendTags, StatField.BackendTags, StatField.ServerTags })
        {
            Assert.Equal(StatField.Count, tags.Length);
            Assert.Equal("KNS:str", tags[StatField.Pxname]);
            Assert.Equal("KNS:str", tags[StatField.Svname]);
        }

        Assert.Null(StatField.FrontendTags[StatField.Econ]);
        Assert.Null(StatField.ServerTags[StatField.Dreq]);
        Assert.NotNull(StatField.ServerTags[StatField.CheckStatus]);
    }
}
