// Tessera's playground: GraphiQL pointed at this router's /graphql endpoint.
import React from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import "graphiql/graphiql.css";

const endpoint = new URL("graphql", window.location.href.replace(/[^/]*$/, "")).toString();
const fetcher = createGraphiQLFetcher({ url: endpoint });

const defaultQuery = `# Welcome to Tessera. Try a query that crosses subgraphs:
query Catalogue {
  products(first: 5) {
    edges {
      node {
        sku
        name
        priceCents
        stock
        shippingEstimateCents
      }
    }
  }
}
`;

createRoot(document.getElementById("graphiql")).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery, shouldPersistHeaders: true }),
);
