//! Lists the hub hands out page by page, read to the end.

/// Every filing `request` selects, following the pages.
pub async fn all_filings(
    client: &mut ecenter_proto::v1::filing_service_client::FilingServiceClient<
        crate::hub::HubChannel,
    >,
    mut request: ecenter_proto::v1::ListFilingsRequest,
) -> Result<Vec<ecenter_proto::v1::Filing>, tonic::Status> {
    request.page_size = 500;
    let mut all = Vec::new();
    loop {
        let page = client.list_filings(request.clone()).await?.into_inner();
        all.extend(page.filings);
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        request.page_token = page.next_page_token;
    }
}
